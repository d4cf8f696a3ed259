"""The fuzz suite: hypothesis drives the addon's hooks with hostile headers, cookies, bodies,
paths and responses, through mitmproxy's own test flows. Whatever arrives: a warned navigation
gets its page (or passes on a real pass), no traceback escapes, the proxy answers its own
paths itself, no response sets StaffGuard's cookies, and every page sent is logged exactly once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from addon_cases import NAVIGATE, continue_on_tiktok, flow
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mitmproxy import http
from proxy_harness import running_addon
from test_proxy_platform import COMMENT, PLATFORMS

from proxy_addons import flows, pages
from proxy_addons.addon import StaffGuard

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as it arrives on the wire: any bytes, with the tricky ones (NUL, controls, non-ASCII
# digits, invalid UTF-8, separators) made likely.
TRICKY = [b"\x00", b"\xff", b"\xc2\xb2", b";", b"=", b",", b" ", b"\t", b"%FF", b"%00", b"\r", b"."]
wire = st.lists(st.one_of(st.sampled_from(TRICKY), st.binary(max_size=12)), max_size=12).map(
    b"".join
)
header_names = st.sampled_from(
    [
        b"cookie",
        b"x-fb-friendly-name",
        b"content-type",
        b"upgrade",
        b"referer",
        b"x-a",
        b"user-agent",
    ]
)
headers = st.lists(st.tuples(header_names, wire), max_size=6)
our_cookie = st.builds(
    lambda activity, value: f"{pages.COOKIE_PREFIX}{activity}=".encode() + value,
    st.sampled_from(["browse", "direct_message", "comment", "signup", "x"]),
    st.one_of(wire, st.sampled_from([b"\xc2\xb2", b"9" * 5000, b"1." + b"0" * 32])),
)
cookies = st.lists(st.one_of(our_cookie, wire), max_size=6).map(b"; ".join)
paths = wire.map(lambda raw: b"/" + raw).filter(
    lambda p: not p.startswith(pages.ACTION_PATH.encode())
)


def spool(tmp_path) -> list[dict]:
    text = (tmp_path / "events.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def no_tracebacks(caplog) -> None:
    escaped = [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not escaped, escaped


def hostile_navigation(path: bytes, extra: list, cookie: bytes, body: bytes, client="10.1.2.3"):
    f = flow("https://www.tiktok.com/", client=client)
    f.request.data.path = path
    f.request.content = body
    for name, value in extra:
        f.request.headers.fields += ((name, value),)
    f.request.headers.fields += ((b"cookie", cookie),)
    for name, value in NAVIGATE.items():  # a navigation, whatever else the request says
        f.request.headers[name] = value
    return f


@FUZZ
@given(path=paths, extra=headers, cookie=cookies, body=wire, with_pass=st.booleans())
def test_a_warned_navigation_always_gets_its_page(
    guard, tmp_path, caplog, path, extra, cookie, body, with_pass
):
    if with_pass:
        cookie += b"; " + continue_on_tiktok(guard, client="10.9.9.9").encode()
    before = len(spool(tmp_path))
    f = hostile_navigation(path, extra, cookie, body, client="10.9.9.9")
    verdict = guard.source.policy.classify(
        flows.url_of(f.request, f.request.host_header or ""), "GET"
    )
    if verdict.platform_id is None:
        verdict = guard.source.policy.classify("https://www.tiktok.com/", "GET")
    with caplog.at_level(logging.WARNING):
        guard.request(f)
    no_tracebacks(caplog)
    assert "staffguard_error" not in f.metadata
    assert pages.COOKIE_PREFIX.encode() not in b"".join(
        v for k, v in f.request.headers.fields if k.lower() == b"cookie"
    ), "the site never sees StaffGuard's cookies"
    added = spool(tmp_path)[before:]
    if with_pass and verdict.activity == "browse":
        assert f.response is None and f.metadata["staffguard_continued"]
        assert added == []
        return
    assert f.response is not None and f.response.status_code == 200
    assert "Continue for district work" in f.response.text, "the real page, not the fallback"
    assert [(e["outcome"], e["activity"]) for e in added] == [("shown", verdict.activity)]


@FUZZ
@given(
    choice=st.sampled_from([b"continue", b"back", b"continue?x=1", b"", b"%63ontinue", b"x"]),
    fields=st.lists(
        st.tuples(
            st.sampled_from([b"offer", b"return", b"activity", b"justification", b"x"]), wire
        ),
        max_size=6,
    ),
    real_offer=st.booleans(),
    content_type=st.sampled_from(
        [b"application/x-www-form-urlencoded", b"text/plain", b"multipart/form-data", b"\xff"]
    ),
    method=st.sampled_from(["POST", "GET", "PUT"]),
)
def test_the_proxy_answers_every_choice_itself(
    guard, tmp_path, caplog, choice, fields, real_offer, content_type, method
):
    body = b"&".join(k + b"=" + v for k, v in fields)
    if real_offer:
        first = flow("https://www.tiktok.com/")
        guard.request(first)
        offer = first.response.text.split('name="offer" value="')[1].split('"')[0]
        body += b"&activity=browse&offer=" + offer.encode()
    before = len(spool(tmp_path))
    f = flow("https://www.tiktok.com/", method, {})
    f.request.data.path = pages.ACTION_PATH.encode() + choice
    f.request.headers.fields += ((b"content-type", content_type),)
    f.request.content = body
    with caplog.at_level(logging.WARNING):
        guard.request(f)
    no_tracebacks(caplog)
    assert f.response is not None, "a choice is never passed on to the platform"
    added = spool(tmp_path)[before:]
    outcomes = {303: ["continued"], 200: ["went_back"], 403: []}
    assert [e["outcome"] for e in added] == outcomes[f.response.status_code]
    for event in added:
        assert all(c.isprintable() for c in event["justification"])
        assert len(event["justification"]) <= 500


set_cookies = st.lists(
    st.one_of(
        wire,
        st.builds(
            lambda pad, name, rest: pad + name + rest,
            st.sampled_from([b"", b" ", b"\t", b"  "]),
            st.sampled_from([b"__staffguard_browse", b"__StaffGuard_x", b"__staffguard_"]),
            wire,
        ),
    ),
    max_size=6,
)


@FUZZ
@given(fields=set_cookies, hook=st.sampled_from(["responseheaders", "response"]))
def test_no_response_sets_a_staffguard_cookie(guard, caplog, fields, hook):
    f = flow("https://cdn.tiktok.com/x.js", headers={"Sec-Fetch-Dest": "script"})
    guard.request(f)
    f.response = http.Response.make(200, b"", {})
    f.response.headers.fields = tuple((b"set-cookie", value) for value in fields)
    with caplog.at_level(logging.WARNING):
        getattr(guard, hook)(f)
    no_tracebacks(caplog)
    for value in f.response.headers.get_all("set-cookie"):
        name = value.split(";", 1)[0].partition("=")[0].strip(" \t").lower()
        assert not name.startswith(pages.COOKIE_PREFIX)


@FUZZ
@given(
    host=st.one_of(wire.map(lambda b: b.decode("latin-1")), st.sampled_from(["www.tiktok.com"])),
    sni=st.one_of(st.none(), st.sampled_from(["www.tiktok.com", "www.example.org", "1.2.3.4"])),
    scheme=st.sampled_from(["http", "https"]),
)
def test_hostile_host_names_never_break_the_proxy(guard, caplog, host, sni, scheme):
    f = flow(f"{scheme}://www.tiktok.com/")
    f.request.headers["Host"] = host
    f.client_conn.sni = sni
    with caplog.at_level(logging.WARNING):
        guard.request(f)
    no_tracebacks(caplog)
    assert "staffguard_error" not in f.metadata
    assert f.response is not None, "every name here is tiktok's or disagrees with it"


@pytest.fixture
def platform_guard(tmp_path: Path) -> Iterator[StaffGuard]:
    with running_addon(tmp_path, PLATFORMS) as addon:
        yield addon


@FUZZ
@given(
    target=st.sampled_from(
        [
            ("POST", "https://www.facebook.com/api/graphql/"),
            ("GET", "https://gateway.facebook.com/ws/lightspeed"),
            ("GET", "https://ws.bereal.com/chat"),
        ]
    ),
    extra=headers,
    body=st.one_of(wire, st.sampled_from([COMMENT, b"{" * 5000, b'{"operationName": 1}'])),
    websocket=st.booleans(),
)
def test_hostile_sends_are_decided_without_a_fault_and_logged_once(
    platform_guard, tmp_path, caplog, target, extra, body, websocket
):
    method, url = target
    f = flow(url, method, {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}, body=body)
    for name, value in extra:
        f.request.headers.fields += ((name, value),)
    if websocket:
        f.request.headers["Upgrade"] = "websocket"
    with caplog.at_level(logging.WARNING):
        platform_guard.request(f)
    no_tracebacks(caplog)
    assert "staffguard_error" not in f.metadata
    verdict = f.metadata.get("staffguard")
    if verdict is not None and verdict.action == "block":
        assert f.response is not None and f.response.status_code == 403
    else:
        assert f.response is None, "an approved platform's sends go on"
    keys = [(e["client"], e["host"], e["activity"]) for e in spool(tmp_path)]
    assert len(keys) == len(set(keys)), "once a minute per device, site and activity"


class _Hello:
    """A ClientHello as the hook reads it: only its SNI, here any text a client could put there."""

    def __init__(self, sni: str | None) -> None:
        self.sni = sni


@FUZZ
@given(
    sni=st.one_of(st.none(), st.text(max_size=80), wire.map(lambda b: b.decode("latin-1"))),
    connect_host=st.sampled_from(["www.tiktok.com", "203.0.113.9", "www.lincolnbank.com"]),
)
def test_no_sni_switches_decryption_off_for_a_platform(guard, caplog, sni, connect_host):
    """The hook's fault path passes a connection through; no SNI may reach it, and a tunnel to
    a platform is decrypted whatever the SNI says (the request hook then decides)."""
    from mitmproxy import ctx, tls
    from mitmproxy.proxy.context import Context
    from mitmproxy.test import tflow

    context = Context(tflow.tclient_conn(), ctx.options)
    context.server.address = (connect_host, 443)
    data = tls.ClientHelloData(context, _Hello(sni))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        guard.tls_clienthello(data)
    no_tracebacks(caplog)
    if connect_host == "www.tiktok.com":
        assert not data.ignore_connection


def _real_client_hello() -> bytes:
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    outgoing = ssl.MemoryBIO()
    conn = context.wrap_bio(ssl.MemoryBIO(), outgoing, server_hostname="www.lincolnbank.com")
    with pytest.raises(ssl.SSLWantReadError):
        conn.do_handshake()
    return outgoing.read()


@FUZZ
@given(
    first=st.one_of(st.binary(max_size=600), wire),
    changes=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
)
def test_the_front_doors_tunnel_check_reads_any_bytes(first, changes):
    """The front door's first look inside a tunnel: a name, "" or "not yet", or ValueError for
    a ClientHello it cannot read (the tunnel is then closed); never another fault. Also a real
    ClientHello with bytes changed."""
    from proxy_addons.front import Door

    hello = bytearray(_real_client_hello())
    for where, value in changes:
        hello[where % len(hello)] = value
    door = Door(front=None)  # type: ignore[arg-type]
    for data in (first, b"\x16\x03\x01" + first, b"GET / HTTP/1.1\r\nHost: " + first, hello):
        door.buffer = bytearray(data)
        try:
            name = door._inner_name()
        except ValueError:
            continue
        assert name is None or isinstance(name, str)
