"""Sign-in with the district's OpenID Connect provider (Authlib), beside local passwords.

Configured by environment (or app config of the same name without ``STAFFGUARD_``):
``STAFFGUARD_OIDC_ISSUER`` — ``google``, ``microsoft`` (with ``STAFFGUARD_OIDC_TENANT``) or any
issuer URL (its ``/.well-known/openid-configuration`` is read); ``STAFFGUARD_OIDC_CLIENT_ID``;
``STAFFGUARD_OIDC_CLIENT_SECRET_FILE`` (or ``..._SECRET``); ``STAFFGUARD_OIDC_DOMAINS``, the
email domains that may sign in (required: without it SSO stays off);
``STAFFGUARD_OIDC_ROLE_CLAIM`` (e.g. ``groups`` or ``roles``) with ``STAFFGUARD_OIDC_ROLE_MAP``
(``claim-value=role`` pairs, comma-separated, e.g. ``sg-admins=admin,superintendent=approver``).

The provider vouches for the email; the site decides what it may do. A first sign-in creates
the account with no role (it reaches nothing until an admin gives it one), and an account an
admin disabled stays out. With a role claim configured, the provider's groups decide the role
at every sign-in (the highest mapped role; none mapped: no role), so removing someone from the
group in the district's directory takes the role away at their next sign-in.

Staff signing in to acknowledge the training (``/training/sso``) go through the same provider
and the same callback (so the provider knows one redirect address), but get a *staff identity*
only: ``session["staff_email"]``, which the training page acknowledges as, and nothing else.
No admin-site account is created and no role is reached.

The ID token's signature, issuer, audience and nonce are checked by Authlib against the
provider's published keys.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .db import get_db
from .models import AuditRecord, User

bp = Blueprint("sso", __name__)
NO_ROLE = "none"
RANK = ("admin", "approver", "auditor")  # highest first: several mapped groups give the highest
PRESETS = {
    "google": "https://accounts.google.com",
    "microsoft": "https://login.microsoftonline.com/{tenant}/v2.0",
}


def _setting(app: Flask, name: str) -> str:
    value = app.config.get(f"OIDC_{name}") or os.environ.get(f"STAFFGUARD_OIDC_{name}", "")
    if not value and name == "CLIENT_SECRET":
        path = app.config.get("OIDC_CLIENT_SECRET_FILE") or os.environ.get(
            "STAFFGUARD_OIDC_CLIENT_SECRET_FILE", ""
        )
        value = Path(path).read_text().strip() if path else ""
    return str(value)


def init_app(app: Flask) -> None:
    issuer = _setting(app, "ISSUER")
    domains = [d.strip().lower().lstrip("@") for d in _setting(app, "DOMAINS").split(",")]
    app.config["SSO_DOMAINS"] = [d for d in domains if d]
    app.config["SSO_ENABLED"] = bool(issuer and app.config["SSO_DOMAINS"])
    app.config["SSO_ROLE_CLAIM"] = _setting(app, "ROLE_CLAIM").strip()
    app.config["SSO_ROLE_MAP"] = role_map(_setting(app, "ROLE_MAP"))
    app.register_blueprint(bp)
    if not app.config["SSO_ENABLED"]:
        return
    issuer = PRESETS.get(issuer, issuer).format(tenant=_setting(app, "TENANT") or "organizations")
    # One OAuth registry per app: a module-wide one keeps the first app's client (and its
    # provider) for every later app in the same process.
    oauth = OAuth(app)
    app.extensions["staffguard_oauth"] = oauth
    oauth.register(
        "district",
        client_id=_setting(app, "CLIENT_ID"),
        client_secret=_setting(app, "CLIENT_SECRET"),
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        overwrite=True,
    )


def _client() -> Any:
    return current_app.extensions["staffguard_oauth"].create_client("district")


def role_map(text: str) -> dict[str, str]:
    """``value=role`` pairs, comma-separated; a pair without '=' or with an unknown role is a
    configuration error, named."""
    mapping = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        value, equals, role = pair.rpartition("=")
        if not equals or not value.strip() or role.strip() not in RANK:
            raise ValueError(
                f"STAFFGUARD_OIDC_ROLE_MAP: {pair!r} is not claim-value=role "
                f"(role one of {', '.join(RANK)})"
            )
        mapping[value.strip()] = role.strip()
    return mapping


def mapped_role(claims: dict[str, Any], claim: str, mapping: dict[str, str]) -> str:
    """The highest role the claim's values map to, or NO_ROLE. The claim may be a list (groups)
    or one string (a single role)."""
    values = claims.get(claim)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return NO_ROLE
    roles = {mapping[v] for v in values if isinstance(v, str) and v in mapping}
    return next((role for role in RANK if role in roles), NO_ROLE)


@bp.app_context_processor
def sso_enabled() -> dict[str, Any]:
    return {"sso_enabled": current_app.config.get("SSO_ENABLED", False)}


TRAINING = "training"  # session["sso_for"]: what the sign-in under way is for


@bp.get("/login/sso")
def start() -> Any:
    if not current_app.config.get("SSO_ENABLED"):
        abort(404)
    session.pop("sso_for", None)  # an abandoned staff sign-in never turns this one into it
    callback = url_for("sso.callback", _external=True)
    return _client().authorize_redirect(callback)


@bp.get("/training/sso")
def training_start() -> Any:
    """Sign in to the training page as oneself: a staff identity, not an admin session."""
    if not current_app.config.get("SSO_ENABLED"):
        abort(404)
    session["sso_for"] = TRAINING
    callback = url_for("sso.callback", _external=True)
    return _client().authorize_redirect(callback)


@bp.post("/training/signout")
def training_signout() -> Any:
    session.pop("staff_email", None)
    session.pop("staff_name", None)
    return redirect(url_for("training.page"), 303)


def _staff_identity(email: str, claims: dict[str, Any]) -> Any:
    """The training page's signed-in staff member; an admin session, if any, is left as it is."""
    session["staff_email"] = email
    session["staff_name"] = str(claims.get("name") or "")[:200]
    session.permanent = True
    return redirect(url_for("training.page"), 303)


@bp.get("/login/sso/callback")
def callback() -> Any:
    if not current_app.config.get("SSO_ENABLED"):
        abort(404)
    client = _client()
    for_training = session.pop("sso_for", None) == TRAINING
    back = url_for("training.page") if for_training else url_for("auth.login")
    try:
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})  # the checked ID token's claims
        role_claim = current_app.config.get("SSO_ROLE_CLAIM")
        # Some providers keep the email (or the groups) for the userinfo endpoint.
        if "email" not in claims or (role_claim and role_claim not in claims):
            info = client.userinfo(token=token)
            if info.get("sub") != claims.get("sub"):
                raise ValueError("userinfo names another subject than the ID token")
            claims.update(info)
    except Exception as error:  # refused, expired, forged: sign-in simply does not happen
        current_app.logger.warning("SSO sign-in refused: %s", error)
        flash("Single sign-on did not complete; try again.", "error")
        return redirect(back)
    email = str(claims.get("email") or "").strip().lower()
    domain = email.rpartition("@")[2]
    if not email or claims.get("email_verified") is False:
        flash("Your provider did not give a verified email address.", "error")
        return redirect(back), 303
    if domain not in current_app.config["SSO_DOMAINS"]:
        flash(f"Accounts of {domain} cannot sign in here.", "error")
        if for_training:
            return redirect(back), 303
        return render_template("login.html"), 403
    if for_training:
        return _staff_identity(email, claims)
    db = get_db()
    user = db.scalar(select(User).where(User.name == email))
    if user is None:
        unusable = generate_password_hash(secrets.token_urlsafe(32))  # SSO only
        user = User(name=email, role=NO_ROLE, password_hash=unusable)
        db.add(user)
        db.add(AuditRecord(actor=email, kind="user", target=email, before=None, after="sso"))
        db.flush()
    if user.disabled:
        flash("This account is disabled.", "error")
        return render_template("login.html"), 403
    if role_claim:
        role = mapped_role(claims, role_claim, current_app.config["SSO_ROLE_MAP"])
        if role != user.role:
            db.add(
                AuditRecord(actor=email, kind="user", target=email, before=user.role, after=role)
            )
            user.role = role
            user.session_generation += 1  # as any role change: older sessions end
    db.commit()
    session.clear()
    session["user_id"] = user.id
    session["generation"] = user.session_generation
    session.permanent = True
    if user.role == NO_ROLE:
        return render_template("sso_waiting.html", name=email)
    return redirect(url_for("log.dashboard"))
