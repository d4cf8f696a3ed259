"""Which TLS connections the proxy opens, and what it counts of the ones nobody classified."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from mitmproxy import ctx, tls
from mitmproxy.proxy.context import Context
from mitmproxy.proxy.layers.tls import parse_client_hello
from mitmproxy.test import tflow
from proxy_harness import FakeAdmin, running_addon

from proxy_addons.addon import StaffGuard
from proxy_addons.counts import UnclassifiedCounts

DISTRICT = """
platforms:
  - {id: lincoln_lms, name: Lincoln LMS, category: district_platform, domains: [lms.usd999.org]}
"""


def client_hello(sni: str | None) -> tls.ClientHello:
    """The ClientHello a real TLS client sends for ``sni``, made by Python's ssl module."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    outgoing = ssl.MemoryBIO()
    conn = context.wrap_bio(ssl.MemoryBIO(), outgoing, server_hostname=sni)
    with pytest.raises(ssl.SSLWantReadError):
        conn.do_handshake()
    hello = parse_client_hello(outgoing.read())
    assert hello is not None
    return hello


@pytest.fixture
def guard(tmp_path: Path) -> Iterator[StaffGuard]:
    with running_addon(tmp_path, DISTRICT) as addon:
        yield addon


def hello_data(sni: str | None) -> tls.ClientHelloData:
    context = Context(tflow.tclient_conn(), ctx.options)
    context.server.address = ("203.0.113.9", 443)
    return tls.ClientHelloData(context, client_hello(sni))


@pytest.mark.parametrize(
    ("sni", "decrypted"),
    [
        ("www.tiktok.com", True),  # unapproved social media: warn
        ("i.instagram.com", True),  # subdomain of a platform the policy names
        ("www.lincolnbank.com", False),  # nobody's business
        ("lms.usd999.org", False),  # a district platform: always allow, no rules
        (None, False),  # no SNI and an address no list knows
    ],
)
def test_only_hosts_needing_a_decision_are_decrypted(guard, sni, decrypted):
    data = hello_data(sni)
    guard.tls_clienthello(data)
    assert data.ignore_connection is not decrypted


def test_a_fault_passes_the_connection_through(guard, monkeypatch):
    def broken(host: str) -> bool:
        raise RuntimeError("boom")

    monkeypatch.setattr(guard.source.policy, "needs_decision", broken)
    data = hello_data("www.tiktok.com")
    guard.tls_clienthello(data)
    assert data.ignore_connection is True


def test_passthrough_connections_are_counted_by_their_sni(guard, tmp_path):
    for sni in ("www.lincolnbank.com", "login.lincolnbank.com", "lms.usd999.org"):
        guard.tls_clienthello(hello_data(sni))
    guard.counts.save()
    [counts] = json.loads((tmp_path / "unclassified.json").read_text()).values()
    assert counts == {"lincolnbank.com": 2}, "classified hosts and whole URLs are not counted"


def test_counts_are_reported_as_running_totals(tmp_path):
    admin = FakeAdmin().start()
    try:
        counts = UnclassifiedCounts(tmp_path, "proxy-a:8081")
        for host in ("a.example.org", "b.example.org", "news.example.net"):
            counts.record(host)
        assert counts.report(admin.url, "t0k")
        assert counts.report(admin.url, "t0k"), "a report sent twice changes nothing"
        [day] = counts.days
        assert admin.unclassified == {
            ("proxy-a:8081", day, "example.org"): 2,
            ("proxy-a:8081", day, "example.net"): 1,
        }
        counts.record("c.example.org")
        counts.save()
        restarted = UnclassifiedCounts(tmp_path, "proxy-a:8081")
        assert restarted.report(admin.url, "t0k")
        assert admin.unclassified[("proxy-a:8081", day, "example.org")] == 3
        _, path, headers = admin.requests[-1]
        assert path == "/api/v1/unclassified" and headers["Authorization"] == "Bearer t0k"
    finally:
        admin.stop()


def test_an_unreachable_admin_site_keeps_the_counts(tmp_path):
    counts = UnclassifiedCounts(tmp_path, "proxy-a")
    counts.record("example.org")
    assert counts.report("http://127.0.0.1:9", "") is False
    assert sum(counts.days[next(iter(counts.days))].values()) == 1
