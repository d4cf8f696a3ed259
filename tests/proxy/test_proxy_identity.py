"""An enrolled device's signed identity names the user of proxy events: a real admin site
enrolls a device and signs its identity, a real mitmdump verifies it against the site's public
keys, and the header never reaches the platform. A forged or expired identity names no one and
the warning shows all the same."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from authlib.jose import JsonWebKey, JsonWebToken, OKPKey
from proxy_harness import Echo, Proxy, Upstream, free_port, wait_for_port
from test_proxy_sessions import until

from proxy_addons.identity import HEADER, IdentityKeys

STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Accept": "text/html"}
FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Accept": "application/json"}
JWT = JsonWebToken(["EdDSA"])


def sign(claims: dict, key: OKPKey | None = None, kid: str = "k1") -> str:
    key = key or OKPKey.generate_key("Ed25519", is_private=True)
    return JWT.encode({"alg": "EdDSA", "kid": kid}, claims, key).decode()


def test_only_a_good_signature_for_this_audience_before_expiry_names_a_user():
    key = OKPKey.generate_key("Ed25519", is_private=True)
    public = {**key.as_dict(is_private=False), "kid": "k1"}
    keys = IdentityKeys("http://admin.invalid")
    now = time.time()
    good = {"aud": "staffguard-proxy", "sub": "T@usd999.org", "exp": int(now) + 600}
    assert keys.user_of(sign(good, key)) is None  # no keys yet: no one
    keys.apply({"keys": [public]})
    assert keys.user_of(sign(good, key)) == "t@usd999.org"
    assert keys.user_of(sign(good, key), now=now + 601) is None  # cached, still ends on time
    assert keys.user_of(sign({**good, "aud": "elsewhere"}, key)) is None
    assert keys.user_of(sign({**good, "exp": int(now) - 1}, key)) is None
    assert keys.user_of(sign({k: v for k, v in good.items() if k != "sub"}, key)) is None
    assert keys.user_of(sign(good)) is None  # another key under the same kid
    assert keys.user_of(sign(good, key, kid="k2")) is None  # a kid nobody published
    assert keys.user_of("not.a.jwt") is None and keys.user_of("x" * 5000) is None
    # a private key slipped into the document is never taken as a verifying key
    keys.apply({"keys": [{**key.as_dict(is_private=True), "kid": "k1"}]})
    assert keys.user_of(sign(good, key)) is None


@pytest.mark.e2e
def test_a_device_identity_names_the_user_and_never_reaches_the_platform(tmp_path, monkeypatch):
    database = tmp_path / "site.sqlite3"
    env = {
        **os.environ,
        "STAFFGUARD_DATABASE_URL": f"sqlite:///{database}",
        "STAFFGUARD_INSTANCE": str(tmp_path / "instance"),
        "STAFFGUARD_ENROLL_DOMAINS": "usd999.org",
    }

    def token(*args: str) -> str:
        made = subprocess.run([STAFFGUARD, "tokens", "create", *args], env=env, capture_output=True)
        assert made.returncode == 0, made.stderr
        return made.stdout.decode().strip().splitlines()[-1]

    proxy_token = token("proxy-1")
    enrollment_key = token("district", "--scope", "enroll")
    port = free_port()
    with (tmp_path / "web.log").open("wb") as log:
        web = subprocess.Popen(
            [STAFFGUARD, "web", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    admin = f"http://127.0.0.1:{port}"

    def api(path: str, body: dict | None = None, bearer: str = "") -> dict:
        request = urllib.request.Request(
            admin + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {bearer}"} if bearer else {}),
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    upstream = Upstream(tmp_path)
    proxy = Proxy(tmp_path / "proxy", upstream, [admin], token=proxy_token)
    Echo.received.clear()
    try:
        wait_for_port(port, timeout=60, proc=web)
        device = api(
            "/api/v1/devices/enroll",
            {"enrollment_key": enrollment_key, "user": "Teacher@usd999.org", "device_name": "cb"},
        )
        assertion = api("/api/v1/devices/identity", {}, device["token"])["assertion"]
        proxy.start()
        until(lambda: "identity keys from the admin site" in proxy.log.read_text())

        def events() -> list[tuple[str, str | None]]:
            with sqlite3.connect(database) as db:
                query = "SELECT url, user FROM events ORDER BY received_at"
                return db.execute(query).fetchall()

        # a navigation with a good identity: the warning, and its event names the user
        _, page, _ = proxy.get("https://www.tiktok.com/@one", {**NAVIGATE, HEADER: assertion})
        assert b"Continue for district work" in page
        assert until(lambda: events()) == [("https://www.tiktok.com/@one", "teacher@usd999.org")]

        # what the proxy forwards, on a decided host or any plain-HTTP one: without the header
        answer, _, _ = proxy.get("https://www.tiktok.com/api/feed", {**FETCH, HEADER: assertion})
        assert answer.getheader("X-StaffGuard"), "forwarded, marked"
        proxy.get("http://en.wikipedia.org/home", {**NAVIGATE, HEADER: assertion})
        paths = [path for path, _ in Echo.received]
        assert "/api/feed" in paths and any(p.endswith("/home") for p in paths)
        assert all(HEADER.lower() not in headers for _, headers in Echo.received)

        # forged (another key) and expired (the site's own key): no one, the warning all the same
        with sqlite3.connect(database) as db:
            kid, seed, x = db.execute(
                "SELECT kid, private_key, public_key FROM identity_keys"
            ).fetchone()
        key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": x, "d": seed})
        claims = {"aud": "staffguard-proxy", "sub": "principal@usd999.org"}
        forged = sign({**claims, "exp": int(time.time()) + 600}, kid=kid)
        expired = sign({**claims, "exp": int(time.time()) - 5}, key, kid=kid)
        assert JWT.decode(expired, JsonWebKey.import_key_set(api("/api/v1/identity/keys")))
        for url, bad in (
            ("https://www.instagram.com/lincolnhigh", forged),
            ("https://www.tiktok.com/@two", expired),
        ):
            _, page, _ = proxy.get(url, {**NAVIGATE, HEADER: bad})
            assert b"Continue for district work" in page, url
        assert until(lambda: len(events()) == 3 and events())[1:] == [
            ("https://www.instagram.com/lincolnhigh", None),
            ("https://www.tiktok.com/@two", None),
        ]
    finally:
        proxy.stop()
        upstream.close()
        web.terminate()
        web.wait(10)
