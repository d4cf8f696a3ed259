"""GET /api/v1/policy answers conditional requests through Werkzeug (ETag = "<version>"): the
proxies and extensions send back the ETag they got and expect a 304 while nothing changed."""

from __future__ import annotations

import pytest


@pytest.fixture
def etag(client, bearer) -> str:
    first = client.get("/api/v1/policy", headers=bearer)
    assert first.status_code == 200 and first.headers["ETag"] == f'"{first.json["version"]}"'
    return first.headers["ETag"]


@pytest.mark.parametrize(
    "form",
    ["{tag}", "W/{tag}", '"other", {tag}', "{bare}", "*"],
    ids=["as-sent", "weak", "in-a-list", "unquoted", "star"],
)
def test_an_unchanged_policy_is_a_304_with_its_etag_and_no_body(client, bearer, etag, form):
    header = form.format(tag=etag, bare=etag.strip('"'))
    again = client.get("/api/v1/policy", headers={**bearer, "If-None-Match": header})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag and again.data == b""


@pytest.mark.parametrize("header", ['"0"', 'W/"0"', '"v1", "v2"', ""])
def test_another_etag_gets_the_whole_document(client, bearer, etag, header):
    answer = client.get("/api/v1/policy", headers={**bearer, "If-None-Match": header})
    assert answer.status_code == 200 and answer.headers["ETag"] == etag
    assert answer.json["format"] == "staffguard-policy/1"
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["Content-Length"] == str(len(answer.data))


def test_a_tag_that_merely_contains_the_version_is_not_a_match(client, bearer, etag):
    """The old substring test took any tag holding the version for the version itself."""
    for longer in (f'"{etag.strip(chr(34))}0"', f'"x{etag.strip(chr(34))}"'):
        answer = client.get("/api/v1/policy", headers={**bearer, "If-None-Match": longer})
        assert answer.status_code == 200, longer
