"""Proxy sign-ins remembered for five minutes by the lean master (``proxy_addons/authcache.py``)."""

from __future__ import annotations

import asyncio

from mitmproxy import options

from proxy_addons import authcache
from proxy_addons.lean import LeanMaster


class Counting:
    def __init__(self, good: tuple[str, str]) -> None:
        self.good, self.asked = good, 0

    def __call__(self, username: str, password: str) -> bool:
        self.asked += 1
        return (username, password) == self.good


def test_an_accepted_sign_in_is_not_checked_again_until_it_expires(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(authcache.time, "monotonic", lambda: now[0])
    validator = Counting(("staff", "s3cret"))
    remembered = authcache.Remembered(validator, seconds=300)
    assert all(remembered("staff", "s3cret") for _ in range(5))
    assert validator.asked == 1, "checked once"
    assert not remembered("staff", "wrong") and not remembered("staff", "wrong")
    assert validator.asked == 3, "a refused password is asked about every time"
    assert not remembered("other", "s3cret")
    now[0] += 301
    assert remembered("staff", "s3cret") and validator.asked == 5, "expired: asked again"
    validator.good = ("staff", "new password")  # changed in the file or the directory
    now[0] += 301
    assert not remembered("staff", "s3cret"), "the old password stops within the period"
    assert b"s3cret" not in b"".join(remembered._accepted), "a keyed digest, not the password"


def test_the_lean_master_wraps_each_new_proxyauth_validator():
    async def validators() -> tuple[object, object]:
        opts = options.Options()
        master = LeanMaster(opts, with_termlog=False)
        opts.update(proxyauth="staff:s3cret")
        first = master.addons.get("proxyauth").validator
        opts.update(proxyauth="any")
        return first, master.addons.get("proxyauth").validator

    first, second = asyncio.run(validators())
    assert isinstance(first, authcache.Remembered) and isinstance(second, authcache.Remembered)
    assert first("staff", "s3cret") and not first("staff", "nope")
    assert second("anyone", "anything")
