"""Sign-in, roles, accounts and API tokens.

Roles: ``admin`` (everything), ``approver`` (the superintendent or designee: permission
requests and approvals), ``auditor`` (read-only review of the log and the lists).

Sessions end on the server: the cookie names its account's session generation, and signing
out, disabling the account or changing its role moves that generation on, so a copied cookie
stops working. Sign-in answers alike, in time too, for unknown accounts and wrong passwords,
and slows down guessing per (address, account) pair with a doubling wait, so nobody can lock
another person out from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import and_, delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .db import get_db
from .device_list import device_page
from .inputs import safe_next
from .models import AuditRecord, LoginFailure, Token, User, utcnow

bp = Blueprint("auth", __name__)
ROLES = ("admin", "approver", "auditor")
# What each token scope may call (docs/security.md, "Tokens and sessions").
SCOPES = {
    "proxy": "read the policy and sessions; write events, unclassified counts and status",
    "device": "read the policy; write events for its own user only",
    "session": "say who uses a client address (a logon script)",
    "read": "read events (integrations)",
    "enroll": "the district's enrollment key: extensions trade it for device tokens",
}
THROTTLE_WINDOW = dt.timedelta(minutes=15)
BACKOFF_START, BACKOFF_CAP = 15, 15 * 60  # seconds to wait after the free attempts
NAME_LIMIT = 200
F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in users with one of ``roles`` (admin always) reach the view."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if g.user.role != "admin" and g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def can(*roles: str) -> bool:
    return g.user is not None and (g.user.role == "admin" or g.user.role in roles)


@bp.before_app_request
def load_user() -> None:
    """The signed-in account, if its session is still current; otherwise the cookie is spent."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = get_db().get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.disabled or session.get("generation") != user.session_generation:
        session.clear()
        return
    g.user = user


def end_sessions(user: User) -> None:
    """Every session cookie issued to ``user`` so far stops working (caller commits)."""
    user.session_generation += 1


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown names against, so they cost what a wrong password costs."""
    return generate_password_hash(secrets.token_hex(16))


def _wait_needed(name: str, address: str) -> int:
    """Seconds this (address, account) pair must still wait, or this address at all."""
    db = get_db()
    limit = current_app.config["LOGIN_ATTEMPTS"]
    since = utcnow() - THROTTLE_WINDOW
    recent = select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.at >= since)
    pair, last = db.execute(
        recent.where(and_(LoginFailure.name == name, LoginFailure.address == address))
    ).one()
    from_here, last_here = db.execute(recent.where(LoginFailure.address == address)).one()
    # One account from here, or guessing across many accounts from here: both back off.
    return max(_backoff(pair, limit, last), _backoff(from_here, 4 * limit, last_here))


def _backoff(failures: int, free: int, last: dt.datetime | None) -> int:
    """Seconds left to wait: none for the first ``free`` failures, then 15 s doubling."""
    if failures < free or last is None:
        return 0
    wait = min(BACKOFF_START * 2 ** min(failures - free, 10), BACKOFF_CAP)
    return wait - int((utcnow() - last).total_seconds())


@bp.app_context_processor
def inject_roles() -> dict[str, Any]:
    return {"can": can}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        db = get_db()
        name = request.form.get("name", "").strip().lower()[:NAME_LIMIT]
        password = request.form.get("password", "")
        address = (request.remote_addr or "")[:64]
        wait = _wait_needed(name, address)
        if wait > 0:
            flash(f"Too many failed sign-ins; wait {wait} seconds and try again.", "error")
            return render_template("login.html"), 429
        user = db.scalar(select(User).where(User.name == name))
        matches = check_password_hash(user.password_hash if user else _dummy_hash(), password)
        if user is None or user.disabled or not matches:
            db.add(LoginFailure(name=name, address=address))
            db.commit()
            flash("Unknown name or wrong password.", "error")
            return render_template("login.html"), 401
        db.execute(
            delete(LoginFailure).where(
                and_(LoginFailure.name == name, LoginFailure.address == address)
            )
        )
        db.commit()
        session.clear()
        session["user_id"] = user.id
        session["generation"] = user.session_generation
        session.permanent = True
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html")


@bp.post("/logout")
def logout() -> Any:
    if g.user is not None:
        end_sessions(g.user)
        get_db().commit()
    session.clear()
    return redirect(url_for("auth.login"))


def add_user(name: str, role: str, password: str) -> User:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise ValueError("the password needs at least 10 characters")
    if not name.strip() or len(name.strip()) > NAME_LIMIT:
        raise ValueError(f"a name has 1 to {NAME_LIMIT} characters")
    user = User(
        name=name.strip().lower(), role=role, password_hash=generate_password_hash(password)
    )
    get_db().add(user)
    return user


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, scope: str = "proxy", user: str | None = None) -> str:
    """A new API token; only its digest is stored, so it is shown once.

    A ``device`` token names the one user whose events it may report.
    """
    db = get_db()
    if not name or len(name) > NAME_LIMIT:
        raise ValueError(f"a token name has 1 to {NAME_LIMIT} characters")
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    user = (user or "").strip() or None
    if (scope == "device") != (user is not None):
        raise ValueError("a device token needs its user (email); other scopes take none")
    if user is not None and len(user) > NAME_LIMIT:
        raise ValueError(f"a user has at most {NAME_LIMIT} characters")
    if db.scalar(select(Token).where(Token.name == name)):
        raise ValueError(f"a token named {name!r} exists; revoke it first")
    token = "sg_" + secrets.token_urlsafe(32)
    db.add(Token(name=name, digest=digest(token), scope=scope, user=user))
    return token


def rotate_token(name: str) -> str | None:
    """A new value for the token ``name`` (same scope and user); the old value stops working.
    None when there is no such token."""
    token = get_db().scalar(select(Token).where(Token.name == name))
    if token is None:
        return None
    value = "sg_" + secrets.token_urlsafe(32)
    token.digest = digest(value)
    token.created_at = utcnow()
    token.last_used_at = None
    return value


def revoke_token(name: str) -> bool:
    db = get_db()
    token = db.scalar(select(Token).where(Token.name == name))
    if token is None:
        return False
    db.delete(token)
    return True


def token_from_request() -> Token | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or len(header) > 500:
        return None
    db = get_db()
    token = db.scalar(select(Token).where(Token.digest == digest(header[7:].strip())))
    if token is not None:
        token.last_used_at = utcnow()
    return token


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> Any:
    db = get_db()
    if request.method == "POST":
        try:
            user = add_user(
                request.form.get("name", ""),
                request.form.get("role", ""),
                request.form.get("password", ""),
            )
            db.add(
                AuditRecord(
                    actor=g.user.name,
                    kind="user",
                    target=user.name,
                    before=None,
                    after={"role": user.role},
                )
            )
            db.commit()
            flash(f"Account {user.name} created.", "ok")
        except ValueError as error:
            db.rollback()
            flash(str(error), "error")
        return redirect(url_for("auth.users"))
    return users_page(new_token=session.pop("new_token", None))


def users_page(new_token: str | None = None, one_time: tuple[str, str] | None = None) -> Any:
    """Accounts and tokens; a new token or a reset password is shown on this one page and
    never again."""
    db = get_db()
    return render_template(
        "users.html",
        users=db.scalars(select(User).order_by(User.name)).all(),
        tokens=db.scalars(select(Token).where(Token.device.is_(None)).order_by(Token.name)).all(),
        devices=device_page(request.args),
        roles=ROLES,
        scopes=SCOPES,
        new_token=new_token,
        one_time=one_time,
    )


@bp.post("/tokens")
@role_required("admin")
def tokens() -> Any:
    db = get_db()
    name = request.form.get("name", "").strip()
    if request.form.get("revoke"):
        if revoke_token(name):
            db.add(
                AuditRecord(
                    actor=g.user.name, kind="token", target=name, before="active", after="revoked"
                )
            )
            db.commit()
            flash(f"Token {name} revoked.", "ok")
        return redirect(url_for("auth.users"))
    if request.form.get("rotate"):
        value = rotate_token(name)
        if value is not None:
            db.add(
                AuditRecord(
                    actor=g.user.name, kind="token", target=name, before=None, after="rotated"
                )
            )
            db.commit()
            session["new_token"] = value
        return redirect(url_for("auth.users"))
    if not name:
        flash("A token needs a name (the proxy or device group it is for).", "error")
        return redirect(url_for("auth.users"))
    scope = request.form.get("scope", "proxy")
    try:
        token = create_token(name, scope, request.form.get("user"))
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.users"))
    db.add(AuditRecord(actor=g.user.name, kind="token", target=name, before=None, after=scope))
    db.commit()
    session["new_token"] = token  # shown by the next GET only: a reload never re-submits
    return redirect(url_for("auth.users"))


@bp.post("/users/<int(max=2147483647):user_id>")
@role_required("admin")
def change_user(user_id: int) -> Any:
    """Change an account's role, or disable or enable it; either ends its sessions."""
    db = get_db()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    from .accounts import update

    role = request.form.get("role", user.role)
    disabled = request.form.get("disabled") == "yes"
    try:
        changed = update(db, user, g.user.name, role, disabled)
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.users"))
    if changed:
        db.commit()
        flash(f"Account {user.name} changed; its sessions have ended.", "ok")
    return redirect(url_for("auth.users"))
