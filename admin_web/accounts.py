"""The rest of an admin account's life: role and disabling (``update``), deletion, a reset
password shown once to the admin, and changing one's own password. The site and the
``staffguard users`` commands share these functions, so both keep the same rules: at least one
active admin always remains, and every change that takes rights away ends the account's
sessions.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .auth import ROLES, end_sessions, role_required
from .db import get_db
from .models import AuditRecord, User

bp = Blueprint("accounts", __name__)
MIN_PASSWORD = 10
# What an account that must choose a new password may still reach.
_OPEN_WHILE_CHANGING = {"accounts.own_password", "auth.logout", "auth.login", "static"}


def update(db: Session, user: User, actor: str, role: str, disabled: bool) -> bool:
    """Change ``user``'s role or disabled state, ending its sessions; False if nothing changed.
    Raises ValueError for an unknown role or when no active admin would remain."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    before = {"role": user.role, "disabled": user.disabled}
    after = {"role": role, "disabled": disabled}
    if before == after:
        return False
    if _is_active_admin(user) and (role != "admin" or disabled):
        _keep_an_admin(db)
    user.role, user.disabled = role, disabled
    end_sessions(user)
    db.add(AuditRecord(actor=actor, kind="user", target=user.name, before=before, after=after))
    return True


def delete(db: Session, user: User, actor: str) -> None:
    """Delete ``user``; their name stays in the audit trail and on what they decided."""
    if actor == user.name:
        raise ValueError("you cannot delete your own account; another admin can")
    if _is_active_admin(user):
        _keep_an_admin(db)
    db.add(
        AuditRecord(
            actor=actor, kind="user", target=user.name, before={"role": user.role}, after=None
        )
    )
    db.delete(user)


def reset_password(db: Session, user: User, actor: str) -> str:
    """A new one-time password for ``user`` (shown once); it only leads to choosing a new one,
    and every session of the account ends."""
    password = secrets.token_urlsafe(12)
    user.password_hash = generate_password_hash(password)
    user.must_change_password = True
    end_sessions(user)
    db.add(
        AuditRecord(actor=actor, kind="user", target=user.name, before=None, after="password reset")
    )
    return password


def set_own_password(db: Session, user: User, current: str, new: str, repeated: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise ValueError("the current password is wrong")
    if new != repeated:
        raise ValueError("the two new passwords differ")
    if len(new) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    if new == current:
        raise ValueError("choose a password other than the current one")
    user.password_hash = generate_password_hash(new)
    user.must_change_password = False
    end_sessions(user)  # other browsers signed in as this account are signed out
    db.add(
        AuditRecord(
            actor=user.name, kind="user", target=user.name, before=None, after="password changed"
        )
    )


def _is_active_admin(user: User) -> bool:
    return user.role == "admin" and not user.disabled


def _keep_an_admin(db: Session) -> None:
    query = select(func.count()).select_from(User).where(User.role == "admin", ~User.disabled)
    if (db.scalar(query) or 0) <= 1:
        raise ValueError("Keep at least one active admin account.")


@bp.before_app_request
def password_first() -> Any:
    """An account signed in with a reset password may only choose its new password."""
    user = g.get("user")
    changing = user is not None and user.must_change_password
    if changing and request.endpoint not in _OPEN_WHILE_CHANGING:
        return redirect(url_for("accounts.own_password"))
    return None


@bp.route("/account/password", methods=["GET", "POST"])
def own_password() -> Any:
    if g.user is None:
        return redirect(url_for("auth.login", next=request.full_path))
    if request.method == "POST":
        db = get_db()
        form = request.form
        try:
            set_own_password(
                db, g.user, form.get("current", ""), form.get("new", ""), form.get("repeat", "")
            )
        except ValueError as error:
            flash(str(error), "error")
            return render_template("account_password.html"), 400
        db.commit()
        session["generation"] = g.user.session_generation  # this browser stays signed in
        flash("Your password is changed; other sign-ins of this account have ended.", "ok")
        return redirect(url_for("log.dashboard"))
    return render_template("account_password.html")


@bp.post("/users/<int(max=2147483647):user_id>/delete")
@role_required("admin")
def delete_user(user_id: int) -> Any:
    db = get_db()
    user = db.get(User, user_id) or abort(404)
    try:
        delete(db, user, g.user.name)
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.users"))
    db.commit()
    flash(f"Account {user.name} deleted.", "ok")
    return redirect(url_for("auth.users"))


@bp.post("/users/<int(max=2147483647):user_id>/reset-password")
@role_required("admin")
def reset_user_password(user_id: int) -> Any:
    from .auth import users_page

    db = get_db()
    user = db.get(User, user_id) or abort(404)
    password = reset_password(db, user, g.user.name)
    db.commit()
    return users_page(one_time=(user.name, password))
