"""Proxy sign-in checked once every few minutes, not on every new connection.

mitmproxy's ``proxyauth`` asks its validator on every CONNECT and on every plain-HTTP request
of a connection not yet signed in. With the htpasswd file the docs recommend (``htpasswd -B``,
bcrypt) that is about 1.7 ms of CPU each time, more than the lean proxy's front door spends on
the whole connection; with LDAP it is a round trip to the directory, made on the event loop.
Squid keeps a user's checked Basic credentials for an hour (``credentialsttl``); the lean proxy
remembers a user and password the validator accepted for five minutes, so a password changed or
a user removed in the file or the directory stops working within five minutes. Only accepted
pairs are remembered (a wrong password is asked about every time), as a keyed digest, never the
password itself.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any

from mitmproxy import ctx

SECONDS = 300.0
ENTRIES = 10_000


class Remembered:
    """A proxyauth validator that remembers the pairs it accepted (see the module)."""

    def __init__(self, validator: Callable[[str, str], bool], seconds: float = SECONDS) -> None:
        self.validator = validator
        self.seconds = seconds
        self._key = secrets.token_bytes(32)  # the digests mean nothing outside this process
        self._accepted: dict[bytes, float] = {}

    def __call__(self, username: str, password: str) -> bool:
        digest = hashlib.blake2b(
            f"{username}\0{password}".encode("utf-8", "surrogatepass"), key=self._key
        ).digest()
        now = time.monotonic()
        until = self._accepted.get(digest)
        if until is not None and now < until:
            return True
        if not self.validator(username, password):
            self._accepted.pop(digest, None)
            return False
        if len(self._accepted) >= ENTRIES:
            self._accepted.clear()
        self._accepted[digest] = now + self.seconds
        return True


class RememberSignIns:
    """The addon: wraps mitmproxy's proxyauth validator each time the option sets a new one.
    Its ``configure`` runs after proxyauth's (it is added after the default addons)."""

    def configure(self, updated: set[str]) -> None:
        if "proxyauth" not in updated:
            return
        auth: Any = ctx.master.addons.get("proxyauth")
        if auth is not None and auth.validator is not None:
            auth.validator = Remembered(auth.validator)
