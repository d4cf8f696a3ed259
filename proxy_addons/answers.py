"""The proxy's own answers (pages, redirects), made without type-checking every one.

``http.Response.make`` builds a message dataclass whose ``__post_init__`` checks every field
against its annotation (mitmproxy does this whenever Python runs without ``-O``), and encodes
the header dict field by field: about 60 us per answer, 8 % of the proxy's CPU time per warned
page (py-spy, ``bench/peers.py``'s warned scenario). Our answers differ only in status, headers
and body, all ours and all of the right types, so a response per status is made through
``make`` once (checked then) and every answer is a copy of its fields with its own headers,
body and timestamps. The result is the same message ``make`` gives
(``tests/proxy/test_answers.py`` holds them equal).
"""

from __future__ import annotations

import functools
import time

from mitmproxy import http

from . import flows


def response(status: int, body: bytes, fields: tuple[tuple[bytes, bytes], ...]) -> http.Response:
    """A response with these header ``fields`` (bytes, as sent) and ``body``; a
    ``content-length`` is added, as ``make`` does.

    Built field by field rather than through ``copy.copy`` (which goes through
    ``__reduce_ex__`` for each object): no ``__init__`` runs, because the template's fields
    were checked when ``make`` built it and ours are bytes by construction."""
    template = _template(status)
    data = object.__new__(http.ResponseData)
    data.__dict__.update(template.data.__dict__)
    headers = object.__new__(http.Headers)
    headers.fields = (*fields, (b"content-length", b"%d" % len(body)))
    data.headers = headers
    data.content = body
    data.timestamp_start = data.timestamp_end = time.time()
    answer = object.__new__(http.Response)
    answer.data = data
    return answer


def page(status: int, body: bytes) -> http.Response:
    """An HTML page of ours that runs no script (``flows.page_headers("'none'")``)."""
    return response(status, body, _page_fields())


def redirect(location: str) -> http.Response:
    """A 303 to ``location``, never cached."""
    fields = ((b"Location", _encode(location)), (b"Cache-Control", b"no-store"))
    return response(303, b"", fields)


@functools.cache
def _template(status: int) -> http.Response:
    return http.Response.make(status)


@functools.cache
def _page_fields() -> tuple[tuple[bytes, bytes], ...]:
    return tuple((_encode(k), _encode(v)) for k, v in flows.page_headers("'none'").items())


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")  # as ``make`` encodes str header values
