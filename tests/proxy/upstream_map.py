"""Test-only mitmproxy script: send the hosts the tests visit to a local upstream.

Decrypted requests are re-addressed in ``request``, so the Host header (and so StaffGuard's
verdict and the upstream's view) keeps the real name; connections that pass through undecrypted
are re-addressed in ``server_connect``, so the client's SNI keeps it.
Set STAFFGUARD_TEST_UPSTREAM to "http_port,https_port".

With STAFFGUARD_TEST_STARTED set to a path, that file is created once mitmdump is past its
start-up check (it exits there when anything logged an error while it started), so a test knows
the proxy stays up without sleeping and hoping.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from mitmproxy import http
from mitmproxy.proxy import server_hooks

HTTP_PORT, HTTPS_PORT = (int(p) for p in os.environ["STAFFGUARD_TEST_UPSTREAM"].split(","))
MAPPED = ("tiktok.com", "instagram.com", "bereal.com", "wikipedia.org", "facebook.com")
MAPPED += ("youtube.com", "youtu.be", "instructure.com", "chat.example.net")
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


def running() -> None:
    # The check runs right after every addon's ``running`` and exits within that turn of the
    # event loop; a timer that fires later proves the loop, and so the proxy, went on.
    marker = os.environ.get("STAFFGUARD_TEST_STARTED")
    if marker:
        asyncio.get_running_loop().call_later(0.1, Path(marker).touch)
