"""What a flow tells StaffGuard, and the small edits StaffGuard makes to one.

Kept apart from the addon so the hooks read as decisions: who is asking, whether this is a
top-level navigation, which path continue may return to, which cookies are ours.
"""

from __future__ import annotations

import time
from collections.abc import Hashable

from mitmproxy import http

from policy_lists import Verdict

from . import pages


def user_of(flow: http.HTTPFlow) -> str | None:
    auth = flow.metadata.get("proxyauth")
    return str(auth[0]) if auth else None


def client_of(flow: http.HTTPFlow) -> str:
    return str(flow.client_conn.peername[0]) if flow.client_conn.peername else ""


def is_navigation(req: http.Request) -> bool:
    """A top-level page load: Sec-Fetch headers when the browser sends them, else an HTML GET."""
    mode = req.headers.get("sec-fetch-mode")
    dest = req.headers.get("sec-fetch-dest")
    if mode or dest:
        return mode == "navigate" and dest in (None, "document")
    return req.method == "GET" and "text/html" in req.headers.get("accept", "")


def same_site_path(path: str) -> str:
    """Only a path on the same site: never a scheme, a host or a protocol-relative URL."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    if path.startswith(pages.ACTION_PATH):
        return "/"
    return "".join(c for c in path if c.isprintable())[:2048]


def take_our_cookies(req: http.Request) -> dict[str, str]:
    """Remove StaffGuard's cookies before the site can see them; return their values.

    HTTP/2 clients may split cookies over several header fields: all of them are looked at."""
    header = "; ".join(req.headers.get_all("cookie"))
    if pages.COOKIE_PREFIX not in header:
        return {}
    ours: dict[str, str] = {}
    kept = []
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name.startswith(pages.COOKIE_PREFIX):
            ours[name] = value
        elif part.strip():
            kept.append(part.strip())
    if kept:
        req.headers["cookie"] = "; ".join(kept)
    else:
        del req.headers["cookie"]
    return ours


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


def inject_banner(response: http.Response, verdict: Verdict) -> None:
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
    response.set_text(text[: end + 1] + pages.banner(verdict) + text[end + 1 :])


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
