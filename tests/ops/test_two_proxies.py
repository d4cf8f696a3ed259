"""Two proxies behind one name, fed by one admin site on PostgreSQL, as docs/deploy.md sets
them up: one CA and one continue key shared through mitmproxy's ``config.yaml`` (never on a
command line), a PAC that lists both, and every event stored once."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright
from proxy_harness import Proxy, spool_drained
from realparts import CHROMIUM_ARGS, missing

from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import free_port, until, wait_for_port
from staffguard_testkit.upstream import Upstream

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))


@dataclass
class District:
    admin_url: str
    database: sa.Engine
    a: Proxy
    b: Proxy
    token: str
    secret: str
    upstream: Upstream

    def events(self) -> list[tuple[str, str]]:
        with self.database.connect() as db:
            return [tuple(row) for row in db.execute(sa.text("SELECT url, outcome FROM events"))]


def shared_confdir(directory: Path, token: str, secret: str) -> Path:
    """What docs/deploy.md puts in /var/lib/staffguard/mitmproxy: options by file, mode 0600."""
    directory.mkdir(parents=True)
    config = directory / "config.yaml"
    config.write_text(f"staffguard_token: {token}\nstaffguard_secret: {secret}\n")
    config.chmod(0o600)
    return directory


def proxy_on(directory: Path, confdir: Path, upstream: Upstream, admin_url: str) -> Proxy:
    proxy = Proxy(directory, upstream, [admin_url])
    (proxy.dir / "confdir").symlink_to(confdir)
    return proxy


@pytest.fixture(scope="module")
def district(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    root = tmp_path_factory.mktemp("district")
    schema = f"sg_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    ports = free_port(), free_port()
    env = {
        **os.environ,
        "STAFFGUARD_DATABASE_URL": url,
        "STAFFGUARD_INSTANCE": str(root / "instance"),
        "STAFFGUARD_PROXY_ADDRESS": f"127.0.0.1:{ports[0]}, 127.0.0.1:{ports[1]}",
    }
    created = subprocess.run(
        [STAFFGUARD, "tokens", "create", "proxies"], env=env, capture_output=True, text=True
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    admin_port = free_port()
    log = (root / "web.log").open("wb")
    web = subprocess.Popen(
        [STAFFGUARD, "web", "--host", "127.0.0.1", "--port", str(admin_port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    upstream = Upstream(root)
    made: list[Proxy] = []
    try:
        wait_for_port(admin_port, timeout=60, proc=web)
        admin_url = f"http://127.0.0.1:{admin_port}"
        secret = secrets.token_hex(32)
        confdir = shared_confdir(root / "mitmproxy", token, secret)
        a = proxy_on(root / "a", confdir, upstream, admin_url)
        b = proxy_on(root / "b", confdir, upstream, admin_url)
        a.port, b.port = ports
        made += [a.start(), b.start()]  # a first: it writes the CA that b then shares
        yield District(admin_url, sa.create_engine(url), a, b, token, secret, upstream)
    finally:
        for proxy in made:
            proxy.stop()
        web.terminate()
        web.wait(20)
        upstream.close()
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def offer_form(page: bytes) -> dict[str, str]:
    return dict(re.findall(r'name="(offer|return|activity)" value="([^"]*)"', page.decode()))


def continue_on(proxy: Proxy, page: bytes) -> str:
    form = offer_form(page)
    body = f"offer={form['offer']}&return={form['return']}&activity=browse&justification=club"
    response, _, _ = proxy.get(
        "https://www.tiktok.com/.staffguard/continue",
        {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
        method="POST",
        body=body,
    )
    assert response.status == 303
    return response.getheader("Set-Cookie").split(";")[0]


def test_a_continue_on_one_proxy_is_honoured_by_the_other(district, tmp_path):
    a, b = district.a, district.b
    _, page, _ = a.get("https://www.tiktok.com/@one", NAVIGATE)
    assert b"Continue for district work" in page
    cookie = continue_on(a, page)

    _, page, _ = b.get("https://www.tiktok.com/@one", {**NAVIGATE, "Cookie": cookie})
    assert b"upstream page" in page, "the other proxy honours the pass"
    _, page, _ = b.get("https://www.instagram.com/lincolnhigh", NAVIGATE)
    assert b"Continue for district work" in page, "b warns on its own"

    # a proxy with a key of its own does not: the shared key is what makes them one service
    other = shared_confdir(tmp_path / "other-mitmproxy", district.token, secrets.token_hex(32))
    shutil.copy(district.a.dir / "confdir" / "mitmproxy-ca.pem", other)
    c = proxy_on(tmp_path / "c", other, district.upstream, district.admin_url).start()
    try:
        _, page, _ = c.get("https://www.tiktok.com/@one", {**NAVIGATE, "Cookie": cookie})
        assert b"Continue for district work" in page
    finally:
        c.stop()

    for proxy in (a, b, c):  # options came by file: nothing secret on a command line (ps)
        argv = " ".join(proxy.proc.args) if proxy.proc else ""
        assert district.token not in argv and district.secret not in argv

    expected = [
        ("https://www.tiktok.com/@one", "shown"),  # a
        ("https://www.tiktok.com/@one", "continued"),  # a
        ("https://www.instagram.com/lincolnhigh", "shown"),  # b
        ("https://www.tiktok.com/@one", "shown"),  # c
    ]
    until(lambda: sorted(district.events()) == sorted(expected), 30)

    # b crashes before it could note what it shipped: it ships again, and nothing doubles
    b.kill()
    (b.data / "events.offset").unlink()
    b.start()
    until(lambda: spool_drained(b.data), 30)  # all shipped again, and noted
    assert sorted(district.events()) == sorted(expected)


def test_the_pac_lists_both_proxies_and_chromium_fails_over(district, chromium_path):
    if shutil.which("node") is None:
        missing("node (Debian: nodejs)")
    pac = urllib.request.urlopen(f"{district.admin_url}/proxy.pac", timeout=10).read().decode()
    route = subprocess.run(
        ["node", "-e", pac + PAC_RUNNER],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    a, b = district.a, district.b
    assert route == f"PROXY 127.0.0.1:{a.port}; PROXY 127.0.0.1:{b.port}; DIRECT"

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=[*CHROMIUM_ARGS, f"--proxy-pac-url={district.admin_url}/proxy.pac"],
        )
        try:
            page = browser.new_page()
            page.goto("http://www.tiktok.com/@pac")
            page.get_by_role("button", name="Continue for district work").click()
            page.wait_for_selector("text=upstream page")
            a.kill()  # the first proxy goes down: the browser moves on to the next
            page.goto("http://www.tiktok.com/@pac/after")
            assert page.locator("h1").inner_text() == "upstream page", "b honours a's pass"
            seen = json.loads(page.locator("pre").inner_text())
            assert seen["path"] == "/@pac/after"
        finally:
            browser.close()
            a.start()
    until(lambda: ("http://www.tiktok.com/@pac", "continued") in district.events(), 30)


PAC_RUNNER = """
function dnsDomainIs(host, domain) { return host.endsWith(domain); }
console.log(FindProxyForURL("https://www.tiktok.com/", "www.tiktok.com"));
"""
