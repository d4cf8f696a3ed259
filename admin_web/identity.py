"""Short-lived signed identities for enrolled devices, which the proxies verify.

An enrolled device (a ``device`` token bound to one staff member) asks for an *assertion*: a
JWT signed with Ed25519 (``alg`` EdDSA), ``aud`` ``staffguard-proxy``, ``sub`` the user,
``exp`` 15 minutes on. The extension attaches it to the requests the proxy decides on
(header ``X-StaffGuard-Identity``), so proxy events name the user without a login prompt.

Asymmetric on purpose: the proxies fetch only the public keys (``GET /api/v1/identity/keys``,
a JWK set), so no proxy holds anything that can mint an identity. The newest key signs; a key
replaced by ``rotate()`` stays published for ``GRACE`` so what it signed stays good until it
expires. The private keys live in the database (whoever can read it can do anything anyway).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

from authlib.jose import JsonWebToken, OKPKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .models import IdentityKey, utcnow

AUDIENCE = "staffguard-proxy"
ISSUER = "staffguard"
HEADER = "X-StaffGuard-Identity"
LIFETIME = dt.timedelta(minutes=15)
GRACE = dt.timedelta(days=1)
_JWT = JsonWebToken(["EdDSA"])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _new_key() -> IdentityKey:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    seed = private.private_bytes_raw()
    return IdentityKey(
        kid=secrets.token_urlsafe(12), private_key=_b64(seed), public_key=_b64(public)
    )


def signing_key(db: Session) -> IdentityKey:
    """The key in force, made on first use (caller commits)."""
    key = db.scalar(
        select(IdentityKey)
        .where(IdentityKey.retired_at.is_(None))
        .order_by(IdentityKey.created_at.desc())
        .limit(1)
    )
    if key is None:
        key = _new_key()
        db.add(key)
        db.flush()
    return key


def rotate(db: Session) -> IdentityKey:
    """A new signing key; the old ones stay published for GRACE (caller commits)."""
    now = utcnow()
    for key in db.scalars(select(IdentityKey).where(IdentityKey.retired_at.is_(None))):
        key.retired_at = now
    key = _new_key()
    db.add(key)
    db.flush()
    return key


def published(db: Session) -> dict[str, Any]:
    """The public keys a proxy accepts, as a JWK set: the one in force and those retired less
    than GRACE ago. The key in force is made here if there is none yet, so proxies know it
    before the first device asks for an identity."""
    signing_key(db)
    since = utcnow() - GRACE
    rows = db.scalars(
        select(IdentityKey)
        .where(or_(IdentityKey.retired_at.is_(None), IdentityKey.retired_at > since))
        .order_by(IdentityKey.created_at.desc())
    ).all()
    return {"keys": [_jwk(row) for row in rows]}


def _jwk(row: IdentityKey) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": row.public_key,
        "kid": row.kid,
        "alg": "EdDSA",
        "use": "sig",
    }


def assertion(db: Session, user: str, device: str) -> tuple[str, dt.datetime]:
    """A signed identity for ``user`` and when it expires (naive UTC); caller commits."""
    key = signing_key(db)
    now = utcnow().replace(microsecond=0)
    expires = now + LIFETIME
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user,
        "dev": device,
        "iat": int(now.replace(tzinfo=dt.UTC).timestamp()),
        "exp": int(expires.replace(tzinfo=dt.UTC).timestamp()),
    }
    private = OKPKey.import_key(
        {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "d": key.private_key}
    )
    header = {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}
    return _JWT.encode(header, claims, private).decode(), expires
