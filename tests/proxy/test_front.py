"""The lean proxy's front door (``proxy_addons/front.py``): CONNECT that needs no decision is
relayed before mitmproxy's layers, and nothing a client sends makes it pass what needs one.

Each test runs a real ``staffguard proxy --lean`` process. Which path served a CONNECT shows in
what the client gets for a server that cannot be reached: mitmproxy (StaffGuard's default lazy
connection strategy) answers 200 and closes later, the front door connects first and answers 502.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import socket
import ssl
from pathlib import Path

import pytest
from proxy_harness import free_port
from test_lean import lean  # noqa: F401  (the fixture)

from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import until
from staffguard_testkit.upstream import Reply

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
LAZY = ("--set", "connection_strategy=lazy")  # as `staffguard proxy` runs it


def connect(port: int, target: str, headers: str = "") -> tuple[socket.socket, bytes]:
    """A raw CONNECT through the proxy on ``port``: the socket and the proxy's answer head."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{headers}\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, head


def closed_port() -> int:
    return free_port()  # nothing listens there


def test_a_passing_connect_is_answered_by_the_front_door(lean, upstream):  # noqa: F811
    proxy = lean(*LAZY)
    sock, head = connect(proxy.port, f"localhost:{closed_port()}")
    body = sock.recv(4096) if b"cannot connect" not in head else b""
    assert head.startswith(b"HTTP/1.1 502"), head
    assert b"StaffGuard proxy: cannot connect to localhost" in head + body
    sock.close()
    # and the bank's own server, its own certificate: passed through, not decrypted
    response, body, cert = proxy.get("https://www.lincolnbank.com/statements", NAVIGATE)
    assert response.status == 200 and b"upstream page" in body
    assert cert == upstream.cert_der
    assert upstream.reached("www.lincolnbank.com", "/statements")


def test_switched_off_mitmproxy_relays_it(lean, upstream):  # noqa: F811
    proxy = lean(*LAZY, "--set", "staffguard_fast_connect=false")
    sock, head = connect(proxy.port, f"localhost:{closed_port()}")
    sock.close()
    assert head.startswith(b"HTTP/1.1 200"), "mitmproxy's lazy strategy: 200 first"
    response, _body, cert = proxy.get("https://www.lincolnbank.com/", NAVIGATE)
    assert response.status == 200 and cert == upstream.cert_der


def test_a_platform_is_still_decrypted_and_warned(lean, upstream):  # noqa: F811
    proxy = lean(*LAZY)
    _response, body, cert = proxy.get("https://www.tiktok.com/@lincolnhigh", NAVIGATE)
    assert cert != upstream.cert_der, "decrypted: the proxy's certificate"
    assert b"upstream page" not in body and b"tiktok" in body.lower()
    assert not upstream.reached("www.tiktok.com", "/@lincolnhigh")


def tls_through(sock: socket.socket, sni: str) -> bytes:
    """A TLS handshake with ``sni`` inside the tunnel and one GET; what came back."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with context.wrap_socket(sock, server_hostname=sni) as tls:
        tls.sendall(f"GET /front HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
        return answer


def test_a_platform_sni_inside_an_innocent_connect_is_refused(lean, upstream):  # noqa: F811
    proxy = lean(*LAZY)
    sock, head = connect(proxy.port, "www.lincolnbank.com:443")
    assert head.startswith(b"HTTP/1.1 200")
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        tls_through(sock, "www.tiktok.com")
    assert not upstream.reached("www.tiktok.com", "/front"), "nothing reached the server"
    until(lambda: "carried the name www.tiktok.com" in proxy.log_text())
    # an SNI that needs no decision either passes
    sock, head = connect(proxy.port, "www.lincolnbank.com:443")
    assert b"upstream page" in tls_through(sock, "static.lincolnbank.com")
    assert upstream.reached("static.lincolnbank.com", "/front")


def test_plain_http_for_a_platform_inside_a_tunnel_is_refused(lean, upstream):  # noqa: F811
    proxy = lean(*LAZY)
    sock, head = connect(proxy.port, "www.lincolnbank.com:443")
    assert head.startswith(b"HTTP/1.1 200")
    sock.sendall(b"GET /@lincolnhigh HTTP/1.1\r\nHost: www.tiktok.com\r\n\r\n")
    with contextlib.suppress(ConnectionError):
        assert sock.recv(4096) == b"", "closed without an answer"
    sock.close()
    assert not upstream.reached("www.tiktok.com", "/@lincolnhigh")


def test_a_large_download_arrives_whole(lean, upstream):  # noqa: F811
    """Flow control: a body far larger than any buffer, read slowly, arrives byte for byte."""
    body = bytes(range(256)) * (12 * 1024 * 1024 // 256)
    upstream.replies["/big.bin"] = Reply(200, body)
    proxy = lean(*LAZY)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", proxy.port, context=context, timeout=30)
    conn.set_tunnel("www.lincolnbank.com", 443)
    conn.request("GET", "/big.bin")
    response = conn.getresponse()
    received = b""
    while chunk := response.read(256 * 1024):
        received += chunk
    conn.close()
    assert response.status == 200 and received == body


def test_with_proxyauth_only_a_signed_in_connect_is_relayed(lean, upstream):  # noqa: F811
    proxy = lean(*LAZY, "--set", "proxyauth=staff:s3cret")
    for credentials in ("", "staff:wrong", "nobody:s3cret", "not base64 at all"):
        header = ""
        if credentials:
            value = base64.b64encode(credentials.encode()).decode() if ":" in credentials else ""
            header = f"Proxy-Authorization: Basic {value or credentials}\r\n"
        sock, head = connect(proxy.port, "www.lincolnbank.com:443", header)
        sock.close()
        assert head.startswith(b"HTTP/1.1 407"), (credentials, head)
    good = "Proxy-Authorization: Basic " + base64.b64encode(b"staff:s3cret").decode() + "\r\n"
    sock, head = connect(proxy.port, f"localhost:{closed_port()}", good)
    sock.close()
    assert head.startswith(b"HTTP/1.1 502"), "signed in: the front door's answer"
    sock, head = connect(proxy.port, "www.lincolnbank.com:443", good)
    assert head.startswith(b"HTTP/1.1 200")
    assert b"upstream page" in tls_through(sock, "www.lincolnbank.com")


def test_a_district_script_that_watches_tls_keeps_connect_with_mitmproxy(lean, tmp_path):  # noqa: F811
    script = tmp_path / "watch_tls.py"
    script.write_text("def tls_clienthello(data):\n    pass\n")
    proxy = lean(*LAZY, "-s", str(script))
    sock, head = connect(proxy.port, f"localhost:{closed_port()}")
    sock.close()
    assert head.startswith(b"HTTP/1.1 200"), "mitmproxy's path (lazy: 200 first)"


def test_passthrough_hosts_are_counted(lean, upstream):  # noqa: F811
    proxy = lean(*LAZY)
    for path in ("/a", "/b"):
        response, _, _ = proxy.get(f"https://www.lincolnbank.com{path}", NAVIGATE)
        assert response.status == 200
    proxy.stop()
    counts = (proxy.data / "unclassified.json").read_text()
    assert "lincolnbank.com" in counts


def test_a_host_is_looked_up_once_a_minute_and_afresh_when_refused(monkeypatch):
    import asyncio

    from proxy_addons import front

    async def scenario() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        lookups = 0
        real = loop.getaddrinfo

        async def counting(*args: object, **kwargs: object) -> object:
            nonlocal lookups
            lookups += 1
            return await real(*args, **kwargs)

        monkeypatch.setattr(loop, "getaddrinfo", counting)
        server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        names = front.Names()
        for _ in range(3):
            joined = await names.connect(lambda: front.Joined(None), "localhost", port, None)  # type: ignore[arg-type]
            joined.transport.close()
        once = lookups
        server.close()
        await server.wait_closed()
        with pytest.raises(OSError):
            await names.connect(lambda: front.Joined(None), "localhost", port, None)  # type: ignore[arg-type]
        return once, lookups

    once, after_refusal = asyncio.run(scenario())
    assert once == 1, "three connections, one look-up"
    assert after_refusal == 2, "refused at the known address: looked up again before giving up"


def test_connections_idle_for_ten_minutes_are_closed():
    import asyncio

    from proxy_addons import front

    class Idle:
        def __init__(self, last: float) -> None:
            self.last, self.closed = last, False

        def close(self) -> None:
            self.closed = True

    async def scenario() -> tuple[bool, bool]:
        doors = front.Front(instance=None)
        now = asyncio.get_running_loop().time()
        old, busy = Idle(now - front.IDLE_SECONDS - 1), Idle(now - 5)
        doors.held |= {old, busy}  # type: ignore[arg-type]
        doors._sweep()
        return old.closed, busy.closed

    assert asyncio.run(scenario()) == (True, False)


@pytest.mark.browser
def test_chromium_through_the_front_door(lean, upstream, chromium_path):  # noqa: F811
    """A real browser: an everyday HTTPS site through the front door, a platform's warning."""
    from playwright.sync_api import sync_playwright
    from realparts import CHROMIUM_ARGS

    proxy = lean(*LAZY)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"],
            proxy={"server": f"http://127.0.0.1:{proxy.port}"},
        )
        try:
            page = browser.new_page()
            page.goto("https://www.lincolnbank.com/rates")
            assert page.locator("h1").inner_text() == "upstream page"
            page.goto("https://www.tiktok.com/@lincolnhigh")
            assert "TikTok" in page.locator("h1").inner_text()
        finally:
            browser.close()
    assert upstream.reached("www.lincolnbank.com", "/rates")
    assert not upstream.reached("www.tiktok.com", "/@lincolnhigh")
    proxy.stop()  # its log flushed whole
    assert "front door failed" not in proxy.log_text()
