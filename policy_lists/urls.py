"""Reduce whatever a browser, proxy or person calls a URL to the parts a verdict needs.

Browsers follow the WHATWG URL standard, and a verdict must be about the host the browser
really contacts: ``https://tiktok.com\\@example.org/`` goes to tiktok.com, while
``https://tiktok.com@example.org/`` goes to example.org. Plain ASCII URLs, by far the most
common, take a short path; everything else goes through ada, a WHATWG parser (the one Node.js
uses), so the extension's ``new URL()`` and this module see the same host.

>>> target = parse_target("HTTPS://WWW.Instagram.com.:443/Direct/inbox?tab=1")
>>> target.host, target.url
('www.instagram.com', 'https://www.instagram.com/Direct/inbox')
>>> parse_target("tiktok.com@example.org/").host
'example.org'
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import unquote

import ada_url

CLASSIFIED_SCHEMES = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

# ASCII URLs whose host and path need no WHATWG processing at all: no userinfo, no percent
# signs, backslashes or dot segments, and a host that cannot be an IPv4 number or IDN.
_SIMPLE = re.compile(
    r"(https?|wss?)://([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?)"
    r"(?::([0-9]{1,5}))?(/[A-Za-z0-9\-_~!$&'()*+,;=:@/.]*)?(?=[?#]|\Z)",
    re.ASCII | re.IGNORECASE,
)
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-]*:")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|\Z)")
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


class Target(NamedTuple):
    """The parts of a URL that classification uses."""

    scheme: str
    host: str  # lowercase, ASCII (punycode), no leading/trailing dots; IPv6 in brackets
    url: str  # scheme://host[:port]/path, never a query string or fragment
    path: str  # the path as the browser sends it


def add_scheme(text: str) -> str:
    """Clean input the way a browser's URL parser does, and make https the default scheme.

    A scheme is only taken as one when it has no dot in it, so ``tiktok.com:443/x`` is a host
    with a port, not a URL of scheme ``tiktok.com``.
    """
    text = text.strip(_C0_AND_SPACE).translate(_TAB_OR_NEWLINE)
    if text.startswith(("//", "\\\\")):
        return "https:" + text
    if _HAS_SCHEME.match(text):
        return text
    return "https://" + text


def parse_target(text: str) -> Target | None:
    """Return the target of ``text``, or None when no browser would fetch it over HTTP(S)."""
    simple = _SIMPLE.match(text)
    if simple:
        scheme, host, port, path = simple.groups()
        path = path or "/"
        if (
            _is_plain_host(host)
            and (port is None or int(port) <= 65535)
            and ("/." not in path or not _DOT_SEGMENT.search(path))
        ):
            return _target(scheme.lower(), host.lower().strip("."), port, path)
    return _parse_whatwg(add_scheme(text))


def path_segments(path: str) -> list[str]:
    """Split a path into segments the way servers read them, so a rule cannot be dodged.

    Lowercase; empty and dot segments dropped; matrix parameters dropped (``/direct;x=1``);
    percent-escapes decoded once (``/%64irect`` is ``direct``, ``/%2564irect`` stays
    ``%64irect``); trailing dots and spaces dropped (``/direct./``, ``/direct%20/``), as Windows
    servers do. ``/Direct//inbox/`` and ``/%64irect;v=2/inbox.`` both give
    ``['direct', 'inbox']``.
    """
    segments: list[str] = []
    for raw in path.replace("\\", "/").split("/"):
        if ";" in raw:
            raw = raw[: raw.index(";")]
        segment = unquote(raw).lower() if "%" in raw else raw.lower()
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        if segment[-1] in ". ":
            segment = segment.rstrip(". ")
            if not segment:
                continue
        segments.append(segment)
    return segments


def _parse_whatwg(text: str) -> Target | None:
    try:
        parts = ada_url.parse_url(text)
    except ValueError:
        return None
    scheme = parts["protocol"].rstrip(":")
    host = parts["hostname"].strip(".")
    if scheme not in CLASSIFIED_SCHEMES or not host:
        return None
    return _target(scheme, host, parts["port"], parts["pathname"] or "/")


def _target(scheme: str, host: str, port: str | None, path: str) -> Target:
    if port and CLASSIFIED_SCHEMES[scheme] != str(int(port)):
        authority = f"{host}:{int(port)}"
    else:
        authority = host
    return Target(scheme=scheme, host=host, url=f"{scheme}://{authority}{path}", path=path)


def _is_plain_host(host: str) -> bool:
    """False for hosts that WHATWG would parse as IPv4 numbers or check as IDN."""
    last = host[host.rfind(".", 0, len(host) - 1) + 1 :].rstrip(".")
    return not (last.isdigit() or last[:2] in ("0x", "0X") or "xn--" in host.lower())
