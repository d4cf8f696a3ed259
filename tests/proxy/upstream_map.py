"""Test-only mitmproxy script: send the hosts the tests visit to a local upstream.

Decrypted requests are re-addressed in ``request``, so the Host header (and so StaffGuard's
verdict and the upstream's view) keeps the real name; connections that pass through undecrypted
are re-addressed in ``server_connect``, so the client's SNI keeps it.
Set STAFFGUARD_TEST_UPSTREAM to "http_port,https_port".
"""

from __future__ import annotations

import os

from mitmproxy import http
from mitmproxy.proxy import server_hooks

HTTP_PORT, HTTPS_PORT = (int(p) for p in os.environ["STAFFGUARD_TEST_UPSTREAM"].split(","))
MAPPED = ("tiktok.com", "instagram.com", "bereal.com", "wikipedia.org", "facebook.com")
MAPPED += ("youtube.com", "youtu.be", "chat.example.net")
PASSED_THROUGH = ("lincolnbank.com",)  # a bank: no list knows it, nobody decrypts it


def request(flow: http.HTTPFlow) -> None:
    host = flow.request.pretty_host
    if flow.response is None and host.endswith(MAPPED):
        original = flow.request.host_header
        flow.request.host = "127.0.0.1"
        flow.request.port = HTTPS_PORT if flow.request.scheme == "https" else HTTP_PORT
        flow.request.host_header = original


def server_connect(data: server_hooks.ServerConnectionHookData) -> None:
    address = data.server.address
    if address and address[0].endswith(PASSED_THROUGH):
        data.server.address = ("127.0.0.1", HTTPS_PORT)
