"""What a flow tells StaffGuard, and the small edits StaffGuard makes to one.

Kept apart from the addon so the hooks read as decisions: who is asking, whether this is a
top-level navigation, which path continue may return to, which cookies are ours.
"""

from __future__ import annotations

import functools
import ipaddress
import time
import urllib.parse
from collections.abc import Hashable
from typing import Any, NamedTuple

from mitmproxy import http
from mitmproxy.net.http import url

from policy_lists import Verdict

from . import identity, pages, sessions


class Heads(NamedTuple):
    """The request's header fields StaffGuard reads, found in one pass (``read_heads``).

    Each ``Headers`` look-up scans every field and lower-cases its name, and a warned
    navigation needed six of them. Single values are what ``Headers.get`` gives (repeated
    fields joined by ", "), lists what ``get_all`` gives: the same text, read once."""

    host: str | None
    fetch_mode: str | None
    fetch_dest: str | None
    accept: str | None
    cookies: list[str]
    identities: list[str]


_IDENTITY_NAME = identity.HEADER.lower().encode()
_READ = frozenset(
    (b"host", b"sec-fetch-mode", b"sec-fetch-dest", b"accept", b"cookie", _IDENTITY_NAME)
)


def read_heads(req: http.Request) -> Heads:
    found: dict[bytes, list[str]] = {}
    for name, value in req.headers.fields:
        name = name.lower()
        if name in _READ:
            found.setdefault(name, []).append(value.decode("utf-8", "surrogateescape"))
    return Heads(
        host=_joined(found.get(b"host")),
        fetch_mode=_joined(found.get(b"sec-fetch-mode")),
        fetch_dest=_joined(found.get(b"sec-fetch-dest")),
        accept=_joined(found.get(b"accept")),
        cookies=found.get(b"cookie", []),
        identities=found.get(_IDENTITY_NAME, []),
    )


def _joined(values: list[str] | None) -> str | None:
    return ", ".join(values) if values else None


def user_of(flow: http.HTTPFlow) -> str | None:
    """The proxy-auth user, else the one a verified device identity names (taken off the
    request by ``take_identity``), else the user a lab logon script named for the address."""
    auth = flow.metadata.get("proxyauth")
    if auth:
        return str(auth[0])
    return identity.user_of(flow.metadata.get(IDENTITY)) or sessions.user_at(client_of(flow))


IDENTITY = "staffguard_identity"


def take_identity(flow: http.HTTPFlow, heads: Heads | None = None) -> None:
    """Take the device identity header off the request (the platform must never see it) and
    keep its value in the flow's metadata for ``user_of``. ``heads``: read just before."""
    value = identity.take(flow.request, None if heads is None else heads.identities)
    if value is not None or IDENTITY not in flow.metadata:
        flow.metadata[IDENTITY] = value


def client_of(flow: http.HTTPFlow) -> str:
    return str(flow.client_conn.peername[0]) if flow.client_conn.peername else ""


_URL_SAFE = "/:?#[]@!$&'()*+,;=%~"


def url_of(req: http.Request, authority: str) -> str:
    """The request's URL as a browser would have written it: raw bytes a tool put in the path
    (invalid UTF-8, controls, spaces) percent-encoded, never dropped, so the engine can always
    parse it and no byte can make a warned URL unparsable and so unwarned."""
    authority = authority or url.hostport(req.scheme, req.host, req.port)
    return f"{req.scheme}://{authority}{urllib.parse.quote(req.data.path, safe=_URL_SAFE)}"


def is_navigation(req: http.Request, heads: Heads | None = None) -> bool:
    """A top-level page load: Sec-Fetch headers when the browser sends them, else an HTML GET."""
    heads = heads or read_heads(req)
    mode, dest = heads.fetch_mode, heads.fetch_dest
    if mode or dest:
        return mode == "navigate" and dest in (None, "document")
    return req.method == "GET" and "text/html" in (heads.accept or "")


def is_subresource(req: http.Request, heads: Heads | None = None) -> bool:
    """An asset a page loads by itself (a favicon, an image, a script): nothing a person did,
    so never an event of its own. Sec-Fetch-Dest when the browser sends it (fetch/XHR calls are
    "empty" and websockets "websocket": those are sends, not assets), else a GET of an asset
    file name. The lists are the shared ones (staff.json), which the extension applies too."""
    heads = heads or read_heads(req)
    dest = heads.fetch_dest
    if dest:
        return dest in pages.PRESENTATION["subresource_fetch_dests"]
    if req.method != "GET" or "text/html" in (heads.accept or ""):
        return False
    path = req.path.split("?", 1)[0].lower()
    return path.endswith(tuple(pages.PRESENTATION["subresource_extensions"]))


def same_site_path(path: str) -> str:
    """Only a path on the same site: never a scheme, a host or a protocol-relative URL."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    if path.startswith(pages.ACTION_PATH):
        return "/"
    if not path.isprintable():  # checked whole first: a path almost never holds one
        path = "".join(c for c in path if c.isprintable())
    return path[:2048]


def take_our_cookies(req: http.Request, heads: Heads | None = None) -> dict[str, list[str]]:
    """Remove StaffGuard's cookies before the site can see them; return their values.

    HTTP/2 clients may split cookies over several header fields: all of them are looked at. A
    name can come more than once (a page on a subdomain may set its own with another path):
    every value is kept, and any one valid pass counts, so a planted value cannot shadow it."""
    fields = req.headers.get_all("cookie") if heads is None else heads.cookies
    if not any(pages.COOKIE_PREFIX in field for field in fields):
        return {}
    ours: dict[str, list[str]] = {}
    kept = []
    for part in "; ".join(fields).split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip().startswith(pages.COOKIE_PREFIX):
            ours.setdefault(name.strip(), []).append(value.strip())
        elif part.strip():
            kept.append(part.strip())
    if kept:
        req.headers["cookie"] = "; ".join(kept)
    else:
        del req.headers["cookie"]
    return ours


def drop_our_set_cookies(response: http.Response) -> int:
    """Remove every ``Set-Cookie`` that would set one of StaffGuard's cookies; how many.

    Only the proxy sets them, in its own answers; a site (or a page on one of its subdomains)
    that sets one is trying to forge or shadow a continue. The name is read as browsers read
    it: up to the first '=' of the first ';'-part, spaces trimmed; no '=' is a nameless cookie
    whose value the browser sends back bare, so it is judged by that text too."""
    fields = response.headers.get_all("set-cookie")
    kept = [f for f in fields if not _sets_ours(f)]
    if len(kept) != len(fields):
        response.headers.set_all("set-cookie", kept)
    return len(fields) - len(kept)


def _sets_ours(field: str) -> bool:
    name = field.split(";", 1)[0].partition("=")[0]
    return name.strip(" \t").lower().startswith(pages.COOKIE_PREFIX)


def authority_host(req: http.Request, heads: Heads | None = None) -> tuple[str, str]:
    """The Host header (HTTP/2: ``:authority``) as written, and the host it names (what
    ``pretty_host`` gives, read once: header lookups are a large part of a hook's cost)."""
    if heads is None:
        authority = req.host_header or ""
    else:  # what ``host_header`` reads
        authority = ((req.is_http2 or req.is_http3) and req.authority) or heads.host or ""
    return authority, _host_named(authority) if authority else req.host


@functools.lru_cache(maxsize=4096)
def _host_named(authority: str) -> str:
    """mitmproxy's reading of an authority (a regex and a host check: ~8 us), kept for the
    names a proxy sees again and again; any other name only takes a slot from an old one."""
    return url.parse_authority(authority, check=False)[0]


def stated_names(*candidates: str | None) -> set[str]:
    """Every host name the request is addressed by, normalised; the addon passes the connection
    target (the CONNECT host, or the absolute-form URL's host), the Host header's host and the
    TLS SNI. An IP address names no site and is left out.

    mitmproxy 11 connects to ``request.host`` (inside a CONNECT tunnel: the CONNECT host), sends
    the upstream TLS SNI the client gave (``client_conn.sni``), and forwards the Host header as
    the client wrote it; ``pretty_host`` prefers that header. A server picks its site by SNI or
    Host, so when these disagree nobody can say which site will answer."""
    names = set()
    for candidate in candidates:
        name = str(candidate or "").strip().strip("[]").rstrip(".").lower()
        if name and not _is_ip(name):
            names.add(name)
    return names


def _is_ip(name: str) -> bool:
    if not (name[-1].isdigit() or ":" in name):  # no top-level domain ends in a digit
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def marker(verdict: Verdict) -> dict[str, str]:
    ref = verdict.policy_ref.replace(";", ",")
    return {"X-StaffGuard": f"action={verdict.action}; activity={verdict.activity}; ref={ref}"}


def page_headers(script_src: str) -> dict[str, str]:
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'unsafe-inline'; script-src {script_src}; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def inject_banner(response: http.Response, verdict: Verdict, settings: Any = None) -> None:
    if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
        return
    text = response.get_text(strict=False)
    if text is None:
        return
    lower = text[:65536].lower()
    start = lower.find("<body")
    end = lower.find(">", start) if start >= 0 else -1
    if end < 0:
        return
    response.set_text(text[: end + 1] + pages.banner(verdict, settings) + text[end + 1 :])


class Recent:
    """``first(key)`` is True for a key not seen in the last one to two windows of ``seconds``.

    Two generations of keys, the older dropped as a whole at each turn: memory holds only the
    keys of the last two windows (and goes back down when traffic does), with no scans."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._current: set[Hashable] = set()
        self._previous: set[Hashable] = set()
        self._turned = time.monotonic()

    def first(self, key: Hashable) -> bool:
        now = time.monotonic()
        if now - self._turned >= self.seconds:
            quiet = now - self._turned >= 2 * self.seconds
            self._previous = set() if quiet else self._current
            self._current = set()
            self._turned = now
        if key in self._current or key in self._previous:
            return False
        self._current.add(key)
        return True
