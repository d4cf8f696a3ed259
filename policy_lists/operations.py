"""What a request says about itself beyond its URL: websocket upgrade, GraphQL operation names.

Clients name a GraphQL operation in one of a few places: the last path segment
(x.com ``/i/api/graphql/<id>/SendMessageMutation``), Facebook's ``x-fb-friendly-name`` header,
or a body field (``fb_api_req_friendly_name`` in a form, ``operationName`` in JSON, one object or
a batched list of them). A body is read only up to ``BODY_LIMIT`` bytes and never kept; one that
does not parse names no operation. extension/lib/policy.js reads requests the same way.

>>> sorted(body_operations(b'[{"operationName": "A"}, {"operationName": "SendMessage"}]'))
['a', 'sendmessage']
>>> body_operations("fb_api_req_friendly_name=useCometUFICreateCommentMutation&x=1")
['usecometuficreatecommentmutation']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

BODY_LIMIT = 64 * 1024  # bytes of a request body read for an operation name, never more
OPERATION_HEADER = "x-fb-friendly-name"
OPERATION_FIELDS = ("fb_api_req_friendly_name", "operationName")
_SURROGATE = re.compile("[\ud800-\udfff]")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` (lowercase), whatever the case of the mapping's keys;
    None when it is missing or not text (mitmproxy's Headers is a Mapping too)."""
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            return value if isinstance(value, str) else None
    return None


def is_upgrade(headers: Mapping[str, str] | None) -> bool:
    """Whether the request asks to become a websocket (``Upgrade: websocket``)."""
    if headers is None:
        return False
    value = header(headers, "upgrade")
    return isinstance(value, str) and any(
        token.strip().lower() == "websocket" for token in value.split(",")
    )


def operations(
    segments: list[str], headers: Mapping[str, str] | None, body: object
) -> frozenset[str]:
    """Lowercase operation names from the last path segment, the header and the body."""
    names = set(segments[-1:])
    if headers is not None:
        value = header(headers, OPERATION_HEADER)
        if isinstance(value, str):
            names.add(value.lower())
    names.update(body_operations(body))
    return frozenset(names)


def body_operations(body: object) -> list[str]:
    """Operation names (lowercase) in a form or JSON body, from its first BODY_LIMIT bytes."""
    if isinstance(body, str) and len(body) > BODY_LIMIT // 4:  # may pass the limit as UTF-8
        body = _utf8(body)[:BODY_LIMIT]
    if isinstance(body, bytes | bytearray | memoryview):
        body = bytes(body[:BODY_LIMIT]).decode("utf-8", "replace")
    if not isinstance(body, str):
        return []
    if body.lstrip(" \t\n\r")[:1] in ("{", "["):
        return _json_operations(body)
    names = []
    for part in body.split("&"):
        name, _, value = part.partition("=")
        if _form_decode(name) in OPERATION_FIELDS:
            names.append(_form_decode(value).lower())
    return names


def _json_operations(text: str) -> list[str]:
    try:
        data = json.loads(text, parse_int=_ignore, parse_float=_ignore, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return []
    items = data if isinstance(data, list) else [data]
    return [
        value.lower()
        for item in items
        if isinstance(item, dict)
        for field in OPERATION_FIELDS
        if isinstance(value := item.get(field), str)
    ]


def _ignore(text: str) -> None:
    """Numbers are never needed; skipping them also spares Python's limit on long integers."""
    return None


def _refuse(text: str) -> None:
    raise ValueError(f"{text} is not JSON")  # Python reads NaN and Infinity; JSON.parse does not


def _form_decode(text: str) -> str:
    return unquote_plus(text, errors="replace") if "%" in text or "+" in text else text


def _utf8(text: str) -> bytes:
    """UTF-8 as JavaScript's TextEncoder writes it: a lone surrogate becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")
