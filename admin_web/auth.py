"""Sign-in, roles, accounts and API tokens.

Roles: ``admin`` (everything), ``approver`` (the superintendent or designee: permission
requests and approvals), ``auditor`` (read-only review of the log and the lists).
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
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .db import get_db
from .models import AuditRecord, LoginFailure, Token, User, utcnow

bp = Blueprint("auth", __name__)
ROLES = ("admin", "approver", "auditor")
THROTTLE_WINDOW = dt.timedelta(minutes=15)
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
    user_id = session.get("user_id")
    g.user = get_db().get(User, user_id) if user_id is not None else None


@bp.app_context_processor
def inject_roles() -> dict[str, Any]:
    return {"can": can}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        db = get_db()
        name = request.form.get("name", "").strip().lower()
        address = request.remote_addr or ""
        since = utcnow() - THROTTLE_WINDOW
        recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
        failures = db.scalar(recent.where(LoginFailure.name == name))
        from_here = db.scalar(recent.where(LoginFailure.address == address))
        user = db.scalar(select(User).where(User.name == name))
        limit = current_app.config["LOGIN_ATTEMPTS"]
        if failures >= limit or from_here >= 4 * limit:  # one account, or guessing across many
            flash("Too many failed sign-ins; wait 15 minutes and try again.", "error")
            return render_template("login.html"), 429
        if user is None or not check_password_hash(
            user.password_hash, request.form.get("password", "")
        ):
            db.add(LoginFailure(name=name, address=address))
            db.commit()
            flash("Unknown name or wrong password.", "error")
            return render_template("login.html"), 401
        db.execute(delete(LoginFailure).where(LoginFailure.name == name))
        db.commit()
        session.clear()
        session["user_id"] = user.id
        session.permanent = True
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
    return render_template("login.html")


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))


def add_user(name: str, role: str, password: str) -> User:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise ValueError("the password needs at least 10 characters")
    user = User(
        name=name.strip().lower(), role=role, password_hash=generate_password_hash(password)
    )
    get_db().add(user)
    return user


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str) -> str:
    """A new API token; only its digest is stored, so it is shown once."""
    db = get_db()
    if db.scalar(select(Token).where(Token.name == name)):
        raise ValueError(f"a token named {name!r} exists; revoke it first")
    token = "sg_" + secrets.token_urlsafe(32)
    db.add(Token(name=name, digest=digest(token)))
    return token


def revoke_token(name: str) -> bool:
    db = get_db()
    token = db.scalar(select(Token).where(Token.name == name))
    if token is None:
        return False
    db.delete(token)
    return True


def token_from_request() -> Token | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
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
    return _users_page(new_token=session.pop("new_token", None))


def _users_page(new_token: str | None = None) -> Any:
    """Accounts and tokens; a new token is shown on this one page and never again."""
    db = get_db()
    return render_template(
        "users.html",
        users=db.scalars(select(User).order_by(User.name)).all(),
        tokens=db.scalars(select(Token).order_by(Token.name)).all(),
        roles=ROLES,
        new_token=new_token,
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
    if not name:
        flash("A token needs a name (the proxy or device group it is for).", "error")
        return redirect(url_for("auth.users"))
    try:
        token = create_token(name)
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.users"))
    db.add(AuditRecord(actor=g.user.name, kind="token", target=name, before=None, after="created"))
    db.commit()
    session["new_token"] = token  # shown by the next GET only: a reload never re-submits
    return redirect(url_for("auth.users"))
