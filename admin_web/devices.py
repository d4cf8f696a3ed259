"""Device enrollment and device identities (docs/design.md, "Devices").

The extension on a managed Chrome sends the district's enrollment key (an ``enroll`` token, set
in the managed policy) and the browser's managed account email; it gets a ``device`` token bound
to that email. With that token it asks for short-lived signed identities (``identity.py``) that
the proxies verify.

What enrollment proves is written down in docs/security.md: the key sits in every managed
browser's policy, so it shows a request comes from the district's managed configuration, not
who sent it. The email must be of one of the district's domains (``ENROLL_DOMAINS``, else the
SSO domains). Attempts without a valid key (400, 401) are throttled per address: they are the
ones that could be guessing. Successes are not (on rollout day a thousand Chromebooks behind one
school NAT enroll at once), nor are emails of other domains sent with the valid key (a student
Chromebook in the wrong organizational unit): its holder could enroll anyway, and counting them
would throttle a whole school's address.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import delete, func, select

from . import identity
from .api import authorized
from .auth import NAME_LIMIT, create_token, digest
from .db import get_db
from .inputs import clean_text, json_body
from .models import EnrollmentFailure, Token, utcnow
from .openapi import OPENAPI

bp = Blueprint("devices", __name__)
DEVICE_LIMIT = 100
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")  # one '@', something on each side, no spaces


def allowed_domains() -> list[str]:
    """The email domains that may enroll: ``ENROLL_DOMAINS`` (config or
    ``STAFFGUARD_ENROLL_DOMAINS``), else the SSO sign-in domains; none means enrollment is off."""
    raw = current_app.config.get("ENROLL_DOMAINS") or os.environ.get(
        "STAFFGUARD_ENROLL_DOMAINS", ""
    )
    if raw:
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        return [d.strip().lower().lstrip("@") for d in items if d.strip()]
    return list(current_app.config.get("SSO_DOMAINS") or [])


def _wait_needed(address: str) -> int:
    """Seconds this address must wait after too many refused enrollments in the window."""
    limit, window = current_app.config["ENROLL_FAILURES"]
    since = utcnow() - dt.timedelta(seconds=window)
    count, first = (
        get_db()
        .execute(
            select(func.count(), func.min(EnrollmentFailure.at)).where(
                EnrollmentFailure.address == address, EnrollmentFailure.at >= since
            )
        )
        .one()
    )
    if count < limit or first is None:
        return 0
    return max(1, int(window - (utcnow() - first).total_seconds()))


def _refuse(address: str, status: int, message: str, counts: bool = True) -> Any:
    db = get_db()
    if counts:
        db.add(EnrollmentFailure(address=address))
    db.execute(
        delete(EnrollmentFailure).where(EnrollmentFailure.at < utcnow() - dt.timedelta(days=1))
    )
    db.commit()
    return jsonify(error=message), status


@bp.post("/api/v1/devices/enroll")
def enroll() -> Any:
    """``{"enrollment_key", "user", "device_name"?, "previous_token"?}`` → a device token bound
    to ``user``.

    Every enrollment is a new device, unless ``previous_token`` is a device token of that user:
    then that token is replaced. Replacing by name alone would let anyone with the enrollment
    key (every staff member can read it) revoke a colleague's device by guessing its name; a
    token proves the caller is that device."""
    address = (request.remote_addr or "")[:64]
    wait = _wait_needed(address)
    if wait:
        answer = jsonify(error=f"too many refused enrollments from here; wait {wait} seconds")
        return answer, 429, {"Retry-After": str(wait)}
    body = json_body()
    if not isinstance(body, dict):
        return _refuse(address, 400, "the body must be a JSON object")
    key, user, device = body.get("enrollment_key"), body.get("user"), body.get("device_name")
    previous = body.get("previous_token")
    if not isinstance(key, str) or not 0 < len(key) <= 500:
        return _refuse(address, 400, "enrollment_key is required (the district's key)")
    if not isinstance(user, str) or not 0 < len(user.strip()) <= NAME_LIMIT:
        return _refuse(address, 400, f"user must be an email of 1 to {NAME_LIMIT} characters")
    if device is not None and (not isinstance(device, str) or len(device) > DEVICE_LIMIT):
        return _refuse(
            address, 400, f"device_name must be text of at most {DEVICE_LIMIT} characters"
        )
    if previous is not None and (not isinstance(previous, str) or not 0 < len(previous) <= 500):
        return _refuse(address, 400, "previous_token must be the device token this install holds")
    db = get_db()
    enrollment = db.scalar(select(Token).where(Token.digest == digest(key.strip())))
    if enrollment is None or enrollment.scope != "enroll":
        return _refuse(address, 401, "unknown or revoked enrollment key")
    user = clean_text(user.strip().lower())[0]
    domain = user.rpartition("@")[2]
    domains = allowed_domains()
    if not domains:
        message = "enrollment is off: the site has no allowed email domains"
        return _refuse(address, 403, message, counts=False)
    if not EMAIL.fullmatch(user) or domain not in domains:
        message = f"{user!r} is not an email of the district's domains"
        return _refuse(address, 403, message, counts=False)
    device = clean_text((device or "").strip())[0] or "device"
    enrollment.last_used_at = utcnow()
    replaced = False
    if previous:  # a token revoked meanwhile, or another user's, replaces nothing
        held = select(Token).where(
            Token.digest == digest(previous.strip()), Token.scope == "device", Token.user == user
        )
        old = db.scalar(held)
        if old is not None:
            db.delete(old)
            replaced = True
    name = f"{device[:60]} ({user[:120]}) {secrets.token_hex(3)}"
    value = create_token(name, "device", user)
    db.flush()
    token = db.scalar(select(Token).where(Token.name == name))
    assert token is not None
    token.device = device
    db.commit()
    current_app.logger.info(
        "device %r enrolled for %s with key %r%s",
        device,
        user,
        enrollment.name,
        " (replacing its previous token)" if replaced else "",
    )
    return {
        "token": value,
        "name": name,
        "user": user,
        "scope": "device",
        "replaced": replaced,
    }, 201


@bp.route("/api/v1/devices/identity", methods=["GET", "POST"])
def device_identity() -> Any:
    """A signed identity for the device token's user, good for 15 minutes."""
    token = authorized("device")
    assert token is not None and token.user
    value, expires = identity.assertion(get_db(), token.user, token.name)
    get_db().commit()
    return {
        "assertion": value,
        "expires": expires.isoformat() + "Z",
        "header": identity.HEADER,
        "user": token.user,
    }


@bp.get("/api/v1/identity/keys")
def identity_keys() -> Any:
    """The public keys that verify device identities (a JWK set): public, no token needed."""
    keys = identity.published(get_db())
    get_db().commit()
    return Response(
        json.dumps(keys),
        content_type="application/json",
        headers={"Cache-Control": "max-age=60"},
    )


def _document() -> None:
    answers = {"400": {"description": "bad input"}, "401": {"description": "bad key or token"}}
    OPENAPI["paths"]["/api/v1/devices/enroll"] = {
        "post": {
            "summary": (
                "Enroll a device: {enrollment_key, user, device_name?, previous_token?} → a "
                "device token (a new device unless previous_token is that user's device token)"
            ),
            "responses": {
                "201": {"description": "{token, name, user, scope, replaced}"},
                "403": {"description": "the email is not of the district's domains"},
                "429": {"description": "too many refused enrollments from this address"},
                **answers,
            },
        }
    }
    OPENAPI["paths"]["/api/v1/devices/identity"] = {
        method: {
            "summary": "A 15-minute signed identity for a device token's user",
            "responses": {"200": {"description": "{assertion, expires, header, user}"}, **answers},
        }
        for method in ("get", "post")
    }
    OPENAPI["paths"]["/api/v1/identity/keys"] = {
        "get": {
            "summary": "The Ed25519 public keys (JWK set) that verify device identities",
            "responses": {"200": {"description": "{keys: [jwk]}"}},
        }
    }


_document()
