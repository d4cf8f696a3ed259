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
from proxy_harness import Proxy, Upstream

from proxy_addons.identity import HEADER, IdentityKeys
from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import free_port, until, wait_for_port

STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))
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
    assert not keys.wake.is_set()
    assert keys.user_of(sign(good, key, kid="k2")) is None  # a kid nobody published (yet):
    assert keys.wake.is_set()  # the keys are fetched again now, in case the site rotated
    assert keys.user_of("not.a.jwt") is None and keys.user_of("x" * 5000) is None
    # a private key slipped into the document is never taken as a verifying key
    keys.apply({"keys": [{**key.as_dict(is_private=True), "kid": "k1"}]})
    assert keys.user_of(sign(good, key)) is None


def test_proxy_login_wins_over_the_identity_which_wins_over_a_lab_session(monkeypatch):
    from mitmproxy.test import tflow

    from proxy_addons import flows, identity, sessions

    key = OKPKey.generate_key("Ed25519", is_private=True)
    keys = IdentityKeys("http://admin.invalid")
    keys.apply({"keys": [{**key.as_dict(is_private=False), "kid": "k1"}]})
    lab = sessions.ClientSessions("http://admin.invalid", "t")
    lab.apply(
        {
            "now": "2026-11-30T06:00:00Z",
            "sessions": [
                {"client": "127.0.0.1", "user": "lab@usd999.org", "expires": "2999-01-01T00:00:00Z"}
            ],
        }
    )
    monkeypatch.setattr(identity, "_current", keys)
    monkeypatch.setattr(sessions, "_current", lab)
    good = sign(
        {"aud": "staffguard-proxy", "sub": "device@usd999.org", "exp": int(time.time()) + 600},
        key,
    )

    def user(header: str | None, login: str | None = None) -> str | None:
        flow = tflow.tflow()
        flow.client_conn.peername = ("127.0.0.1", 50000)
        if header is not None:
            flow.request.headers[HEADER] = header
        if login:
            flow.metadata["proxyauth"] = (login, "")
        flows.take_identity(flow)
        assert HEADER not in flow.request.headers  # taken off, whatever it said
        return flows.user_of(flow)

    assert user(good, login="login@usd999.org") == "login@usd999.org"
    assert user(good) == "device@usd999.org"
    assert user(good[:-3] + "AAA") == "lab@usd999.org"  # forged: as if there were none
    assert user(None) == "lab@usd999.org"


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
    monkeypatch.setenv("STAFFGUARD_HEALTH_SECONDS", "0.5")
    proxy = Proxy(tmp_path / "proxy", upstream, [admin], token=proxy_token)
    try:
        wait_for_port(port, timeout=60, proc=web)
        device = api(
            "/api/v1/devices/enroll",
            {"enrollment_key": enrollment_key, "user": "Teacher@usd999.org", "device_name": "cb"},
        )
        assertion = api("/api/v1/devices/identity", {}, device["token"])["assertion"]
        proxy.start()
        until(lambda: "identity keys from the admin site" in proxy.log.read_text())

        # the proxy's health report says it knows the site's key: the dashboard and /metrics
        [health] = until(lambda: [p for p in api("/healthz")["proxies"] if p["identity_keys"]])
        assert health["identity_keys"] == 1 and health["identity_keys_fetched"].endswith("Z")
        with urllib.request.urlopen(f"{admin}/metrics", timeout=10) as scraped:
            gauge = f'staffguard_proxy_identity_keys{{reporter="{health["reporter"]}"}} 1.0'
            assert gauge in scraped.read().decode()

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
        paths = [seen.path for seen in upstream.received]
        assert "/api/feed" in paths and any(p.endswith("/home") for p in paths)
        assert all(seen.header(HEADER) is None for seen in upstream.received)

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


@pytest.mark.e2e
@pytest.mark.browser
def test_the_extension_enrolls_and_its_identity_names_the_user_of_proxy_events(
    tmp_path, chromium_path
):
    """The unpacked extension in a real Chromium behind a real mitmdump: configured with the
    enrollment key (as the managed policy would), it enrolls, gets a signed identity and sets
    it on the decided hosts; the proxy's event names the staff member, the platform never sees
    the header. Chromium here has no signed-in profile, so the email comes from the `user`
    setting, the documented stand-in for the managed account's email."""
    from playwright.sync_api import sync_playwright
    from realparts import CHROMIUM_ARGS

    from staffguard_testkit.extension import EXTENSION, AdminSite, service_worker, set_settings

    site = AdminSite(tmp_path / "admin")
    site.dir.mkdir()
    site.env["STAFFGUARD_ENROLL_DOMAINS"] = "usd999.org"
    proxy_token = site.command("tokens", "create", "proxy-1").strip().splitlines()[-1]
    key = site.command("tokens", "create", "district", "--scope", "enroll").split()[-1]
    site.start()
    upstream = Upstream(tmp_path)
    proxy = Proxy(tmp_path / "proxy", upstream, [site.url], token=proxy_token)
    try:
        proxy.start()
        until(lambda: "identity keys" in proxy.log.read_text())
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                str(tmp_path / "profile"),
                executable_path=chromium_path,
                headless=True,
                proxy={"server": f"http://127.0.0.1:{proxy.port}"},
                args=[
                    *CHROMIUM_ARGS,
                    f"--disable-extensions-except={EXTENSION}",
                    f"--load-extension={EXTENSION}",
                ],
            )
            try:
                worker = service_worker(context)
                set_settings(worker, backendUrl=site.url, enrollmentKey=key, user="JDoe@usd999.org")
                stored = "chrome.storage.local.get('device').then(r => r.device || null)"
                device = until(lambda: worker.evaluate(stored))
                assert device["user"] == "jdoe@usd999.org" and device["token"] != key
                rules = "chrome.declarativeNetRequest.getSessionRules()"
                [rule] = until(lambda: worker.evaluate(rules))
                assert rule["action"]["requestHeaders"][0]["header"] == HEADER

                page = context.new_page()
                page.goto("http://www.tiktok.com/@lincolnhigh")  # the proxy's interstitial
                page.get_by_label("Why this is district work").fill("Game schedule")
                page.get_by_role("button", name="Continue for district work").click()
                page.wait_for_selector("text=upstream page")
            finally:
                context.close()

        def proxy_events() -> list[tuple[str, str | None]]:
            with sqlite3.connect(site.db) as db:
                query = "SELECT outcome, user FROM events WHERE source = 'proxy' ORDER BY ts"
                return db.execute(query).fetchall()

        assert sorted(until(lambda: len(proxy_events()) == 2 and proxy_events())) == [
            ("continued", "jdoe@usd999.org"),
            ("shown", "jdoe@usd999.org"),
        ]
        reached = [seen for seen in upstream.received if seen.path.startswith("/@lincolnhigh")]
        assert reached and all(seen.header(HEADER) is None for seen in reached)
        assert "jdoe@usd999.org" in site.command("tokens", "devices")
    finally:
        proxy.stop()
        upstream.close()
        site.stop()
