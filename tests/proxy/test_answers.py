"""The proxy's own answers built from templates equal what ``http.Response.make`` builds."""

from __future__ import annotations

from mitmproxy import http

from proxy_addons import answers, flows


def _same(made: http.Response, ours: http.Response) -> None:
    assert ours.get_state() | {"timestamp_start": 0, "timestamp_end": 0} == made.get_state() | {
        "timestamp_start": 0,
        "timestamp_end": 0,
    }
    assert ours.timestamp_start is not None and ours.timestamp_end is not None


def test_page_equals_make() -> None:
    body = "<p>Ça va — 100 %</p>".encode()
    for status in (200, 403):
        made = http.Response.make(status, body, flows.page_headers("'none'"))
        _same(made, answers.page(status, body))


def test_redirect_equals_make_with_odd_bytes() -> None:
    location = "https://a.example/p?q=\udcff%20é"
    made = http.Response.make(303, b"", {"Location": location, "Cache-Control": "no-store"})
    _same(made, answers.redirect(location))


def test_answers_do_not_share_state() -> None:
    first, second = answers.redirect("https://a.example/"), answers.redirect("https://b.example/")
    first.headers["Set-Cookie"] = "x=1"
    first.status_code = 500
    assert "Set-Cookie" not in second.headers
    assert second.status_code == 303 and second.headers["Location"] == "https://b.example/"
    assert answers.redirect("https://c.example/").status_code == 303
    assert answers.page(200, b"x").raw_content == b"x" and second.raw_content == b""
