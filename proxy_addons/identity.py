"""Who sent a request, as an enrolled device's signed identity says (``X-StaffGuard-Identity``).

The admin site signs short-lived identities for device tokens (Ed25519 JWTs, ``aud``
``staffguard-proxy``); the extension attaches one to requests for the hosts this proxy decides
on. Here the proxy fetches only the *public* keys (``GET /api/v1/identity/keys``, a JWK set),
so nothing on a proxy can mint an identity.

The header is always taken off the request before anything else looks at it (``take``), so the
platform never sees it, whether or not it verifies. One that does not verify (forged, expired,
for another audience, signed by an unknown key, or arriving before any key is known) names no
one; it never changes the verdict or stops a warning. A proxy-auth user still wins over it, and
it wins over a lab logon session (``flows.user_of``).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import logging
import os
import threading
import time
from typing import Any

from authlib.jose import JsonWebKey, JsonWebToken, KeySet
from mitmproxy import http

from staffguard_common.http import call

log = logging.getLogger(__name__)

HEADER = "X-StaffGuard-Identity"
_NAME = HEADER.lower().encode()
AUDIENCE = "staffguard-proxy"
MAX_LENGTH = 2048
POLL_SECONDS = float(os.environ.get("STAFFGUARD_IDENTITY_KEYS_SECONDS", "300"))
RETRY_SECONDS = 5.0  # until the first key set arrives
UNKNOWN_KID_SECONDS = 30.0  # an identity signed by a key not seen yet: fetch again, this often
_JWT = JsonWebToken(["EdDSA"])
_CLAIMS = {
    "aud": {"essential": True, "value": AUDIENCE},
    "sub": {"essential": True},
    "exp": {"essential": True},
}


def take(req: http.Request, values: list[str] | None = None) -> str | None:
    """Remove every identity header from the request; the value when there was exactly one.
    ``values``: the header's values, when the caller has read them already."""
    if values is None:  # what ``headers.get_all`` gives, in one plain pass (every request)
        values = [
            value.decode("utf-8", "surrogateescape")
            for name, value in req.headers.fields
            if name.lower() == _NAME
        ]
    if not values:
        return None
    del req.headers[HEADER]
    return values[0] if len(values) == 1 else None


class IdentityKeys(threading.Thread):
    """The admin site's published keys, polled; ``user_of`` verifies an identity against them."""

    def __init__(self, base_url: str, token: str = "", every: float = POLL_SECONDS):
        super().__init__(name="staffguard-identity-keys", daemon=True)
        self.base_url, self.token, self.every = base_url.rstrip("/"), token, every
        self.keys: KeySet | None = None
        self.kids: list[str] = []
        self.fetched_at: float | None = None  # time.time() of the last key set received
        self.stopping = threading.Event()
        self.wake = threading.Event()  # a key nobody knows here yet: the site rotated
        self._woken = 0.0

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.refresh()
            except Exception as error:  # the admin site away or odd: keep the keys we have
                log.warning("staffguard: identity keys not refreshed (%s)", error)
            wait = self.every if self.kids else min(self.every, RETRY_SECONDS)
            self.wake.wait(wait)
            self.wake.clear()

    def refresh(self) -> None:
        reply = call(f"{self.base_url}/api/v1/identity/keys", token=self.token)
        if reply.status != 200:
            raise ValueError(f"the admin site answered {reply.status}")
        self.apply(reply.json())
        self.fetched_at = time.time()

    def apply(self, document: Any) -> None:
        keys = [k for k in document["keys"] if k.get("kty") == "OKP" and "d" not in k]
        kids = sorted(str(k.get("kid")) for k in keys)
        if kids != self.kids:
            log.info("staffguard: identity keys from the admin site: %s", ", ".join(kids))
        self.keys, self.kids = JsonWebKey.import_key_set({"keys": keys}), kids
        _verified.cache_clear()

    def user_of(self, value: str | None, now: float | None = None) -> str | None:
        if not value or self.keys is None or len(value) > MAX_LENGTH:
            return None
        if _kid(value) not in self.kids:
            self._fetch_soon()
            return None
        checked = _verified(value, self.keys)
        if checked is None:
            return None
        user, expires = checked
        return user if (time.time() if now is None else now) < expires else None

    def _fetch_soon(self) -> None:
        now = time.monotonic()
        if now - self._woken >= UNKNOWN_KID_SECONDS:
            self._woken = now
            self.wake.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()


def _kid(value: str) -> str | None:
    """The key id in a JWT's header, unverified (only to know whether to fetch keys)."""
    try:
        head = value.split(".", 1)[0]
        kid = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))).get("kid")
        return kid if isinstance(kid, str) else None
    except (ValueError, AttributeError):
        return None


@functools.lru_cache(maxsize=16384)  # a district's devices, each with its current identity
def _verified(value: str, keys: KeySet) -> tuple[str, float] | None:
    """(user, expiry) when the signature and audience hold; the expiry is checked by the caller
    at each use, so a cached identity still ends on time. A device sends the same identity for
    minutes: its signature is checked once."""
    try:
        claims = _JWT.decode(value, keys, claims_options=_CLAIMS)
        claims.validate(leeway=0)
        user, expires = claims["sub"], claims["exp"]
        if not isinstance(user, str) or not user or not isinstance(expires, int | float):
            return None
        return user.strip().lower()[:200], float(expires)
    except Exception as error:  # forged, expired, malformed: it names no one
        log.info("staffguard: identity header refused (%s)", type(error).__name__)
        return None


_current: IdentityKeys | None = None


def start(base_url: str | None, token: str) -> None:
    """Poll the admin site's keys (none: no admin site, so identities name no one)."""
    global _current
    stop()
    if base_url:
        _current = IdentityKeys(base_url, token)
        _current.start()


def stop() -> None:
    global _current
    if _current is not None:
        _current.stop()
        _current = None


def state() -> dict[str, Any]:
    """For the health report: how many keys this proxy knows and when it last fetched them
    (none known means enrolled devices' events name no one); empty without an admin site."""
    if _current is None:
        return {}
    fetched = _current.fetched_at
    return {
        "identity_keys": len(_current.kids),
        "identity_keys_fetched": (
            dt.datetime.fromtimestamp(fetched, dt.UTC).isoformat().replace("+00:00", "Z")
            if fetched is not None
            else None
        ),
    }


def user_of(value: str | None) -> str | None:
    """The user a verified identity names, or None."""
    return _current.user_of(value) if _current is not None else None
