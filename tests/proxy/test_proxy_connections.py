"""Which TLS connections the proxy opens, and what it counts of the ones nobody classified."""

from __future__ import annotations

import json
import socket
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
from staffguard_testkit.headers import NAVIGATE

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


def hello_data(sni: str | None, connect_host: str = "203.0.113.9") -> tls.ClientHelloData:
    context = Context(tflow.tclient_conn(), ctx.options)
    context.server.address = (connect_host, 443)
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


@pytest.mark.parametrize(
    ("sni", "connect_host", "decrypted"),
    [
        ("www.lincolnbank.com", "www.tiktok.com", True),  # an innocent SNI to a platform
        ("www.tiktok.com", "www.lincolnbank.com", True),
        (None, "www.tiktok.com", True),  # no SNI: the CONNECT host decides
        ("www.lincolnbank.com", "www.lincolnbank.com", False),
    ],
)
def test_either_name_needing_a_decision_decrypts(guard, sni, connect_host, decrypted):
    data = hello_data(sni, connect_host)
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


def tunnel(proxy_port: int, connect_host: str, sni: str) -> ssl.SSLSocket:
    """A CONNECT to ``connect_host`` and a TLS handshake naming ``sni``: what a tool can send."""
    raw = socket.create_connection(("127.0.0.1", proxy_port), timeout=15)
    raw.sendall(f"CONNECT {connect_host}:443 HTTP/1.1\r\nHost: {connect_host}:443\r\n\r\n".encode())
    assert raw.recv(4096).startswith(b"HTTP/1.1 200")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(raw, server_hostname=sni)


def ask(sock: socket.socket, target: str, host: str) -> bytes:
    headers = "".join(f"{k}: {v}\r\n" for k, v in NAVIGATE.items())
    sock.sendall(
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n".encode()
    )
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


@pytest.mark.e2e
def test_a_real_tunnel_whose_sni_disagrees_is_decrypted_and_refused(proxy_factory, upstream):
    proxy = proxy_factory([]).start()
    with tunnel(proxy.port, "www.tiktok.com", "www.lincolnbank.com") as sock:
        assert sock.getpeercert(binary_form=True) != upstream.cert_der, "decrypted"
        answer = ask(sock, "/", "www.tiktok.com")
    assert answer.startswith(b"HTTP/1.1 421")
    with tunnel(proxy.port, "www.tiktok.com", "www.tiktok.com") as sock:
        assert b"Continue for district work" in ask(sock, "/", "www.tiktok.com")


@pytest.mark.e2e
def test_a_real_absolute_form_request_whose_host_disagrees_is_refused(proxy_factory):
    proxy = proxy_factory([]).start()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=15) as sock:
        answer = ask(sock, "http://www.wikipedia.org/", "www.tiktok.com")
    assert answer.startswith(b"HTTP/1.1 421")
