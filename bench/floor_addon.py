"""Bench-only mitmproxy script: every request is answered at once with a 3.2 KB page, as
StaffGuard's warning page is, with nothing decided. ``bench/peers.py --floor`` runs it on the
lean master: what mitmproxy's HTTP/1 path alone costs per answered request, the floor under
StaffGuard's warned page."""

from __future__ import annotations

from mitmproxy import http

PAGE = b"<!doctype html><title>floor</title><p>" + b"x" * 3200 + b"</p>"


def request(flow: http.HTTPFlow) -> None:
    flow.response = http.Response.make(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
