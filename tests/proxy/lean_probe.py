"""Test-only mitmproxy script: ``http://lean-probe.invalid/`` answers with what the proxy runs on
(its event loop's module, whether mitmproxy type-checks the messages it builds, and how many
generated certificates it keeps)."""

from __future__ import annotations

import asyncio
import json

from mitmproxy import certs, http


def request(flow: http.HTTPFlow) -> None:
    if flow.request.pretty_host != "lean-probe.invalid":
        return
    try:  # a status code that is no int: refused only where mitmproxy checks every field
        http.ResponseData(b"HTTP/1.1", "200", b"OK", http.Headers(), None, None, 0.0, None)  # type: ignore[arg-type]
        typechecked = False
    except TypeError:
        typechecked = True
    found = {
        "loop": type(asyncio.get_running_loop()).__module__,
        "typechecked": typechecked,
        "certs_kept": certs.CertStore.STORE_CAP,
    }
    flow.response = http.Response.make(200, json.dumps(found), {"Content-Type": "application/json"})
