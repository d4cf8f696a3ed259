"""What the hooks read from a request's headers in one pass is what mitmproxy's own look-ups
give, whatever the fields hold: repeated, in any case, empty, or not UTF-8."""

from __future__ import annotations

import pytest
from mitmproxy import http
from mitmproxy.test import tflow

from proxy_addons import flows, identity

FIELDS = [
    [(b"Host", b"www.tiktok.com"), (b"Accept", b"text/html")],
    [(b"HOST", b"a.example"), (b"host", b"b.example"), (b"SEC-FETCH-MODE", b"navigate")],
    [(b"Sec-Fetch-Dest", b""), (b"sec-fetch-mode", b""), (b"Accept", b"")],
    [
        (b"Cookie", b"a=1"),
        (b"cookie", b"__staffguard_browse=2"),
        (b"Accept", b"\xff\xfe text/html"),
    ],
    [(b"X-StaffGuard-Identity", b"one"), (b"x-staffguard-identity", b"\xc3two")],
    [(b"Host", b"t\xffktok.com"), (b"Sec-Fetch-Dest", b"document"), (b"Sec-Fetch-Dest", b"image")],
    [],
]


@pytest.mark.parametrize("fields", FIELDS)
def test_one_pass_reads_what_header_lookups_read(fields):
    req = http.Request.make("GET", "http://www.tiktok.com/", b"", fields)
    heads = flows.read_heads(req)
    assert heads.host == req.headers.get("host") == req.host_header
    assert heads.fetch_mode == req.headers.get("sec-fetch-mode")
    assert heads.fetch_dest == req.headers.get("sec-fetch-dest")
    assert heads.accept == req.headers.get("accept")
    assert heads.cookies == req.headers.get_all("cookie")
    assert heads.identities == req.headers.get_all("x-staffguard-identity")
    assert flows.authority_host(req, heads) == flows.authority_host(req)
    assert flows.is_navigation(req, heads) == flows.is_navigation(req)
    assert flows.is_subresource(req, heads) == flows.is_subresource(req)


def test_http2_authority_is_read_before_the_host_header():
    f = tflow.tflow()
    f.request.http_version = "HTTP/2.0"
    f.request.authority = "www.tiktok.com"
    f.request.headers["Host"] = "example.org"
    heads = flows.read_heads(f.request)
    assert flows.authority_host(f.request, heads) == flows.authority_host(f.request)
    assert flows.authority_host(f.request, heads)[0] == "www.tiktok.com"


@pytest.mark.parametrize("fields", FIELDS)
def test_the_identity_is_taken_in_any_case_and_named_only_when_alone(fields):
    req = http.Request.make("GET", "http://www.tiktok.com/", b"", fields)
    values = req.headers.get_all("x-staffguard-identity")
    assert identity.take(req) == (values[0] if len(values) == 1 else None)
    assert req.headers.get_all("x-staffguard-identity") == []


@pytest.mark.parametrize(
    "path", ["/@school", "/a\x00b\x7fc", "/é/ü?q=1", "/" + "a" * 3000, "//evil.example/", "x"]
)
def test_same_site_path_keeps_printable_characters_only(path):
    kept = flows.same_site_path(path)
    if path.startswith("/") and not path.startswith("//"):
        assert kept == "".join(c for c in path if c.isprintable())[:2048]
    else:
        assert kept == "/"
