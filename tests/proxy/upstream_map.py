"""Test-only mitmproxy script: send the platform hosts the tests visit to a local upstream.

The Host header (and so StaffGuard's verdict and the upstream's view) keeps the real name.
Set STAFFGUARD_TEST_UPSTREAM to "http_port,https_port".
"""

from __future__ import annotations

import os

from mitmproxy import http

HTTP_PORT, HTTPS_PORT = (int(p) for p in os.environ["STAFFGUARD_TEST_UPSTREAM"].split(","))
MAPPED = ("tiktok.com", "instagram.com", "bereal.com", "wikipedia.org")


def request(flow: http.HTTPFlow) -> None:
    host = flow.request.pretty_host
    if flow.response is None and host.endswith(MAPPED):
        original = flow.request.host_header
        flow.request.host = "127.0.0.1"
        flow.request.port = HTTPS_PORT if flow.request.scheme == "https" else HTTP_PORT
        flow.request.host_header = original
