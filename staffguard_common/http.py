"""One way to call another StaffGuard part over HTTP: urllib, a timeout, a bearer token.

An answer with any status comes back as a :class:`Reply` (the caller decides what a 304 or a
404 means); only "no answer at all" (refused, unreachable, timed out) raises ``OSError``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str:
        """A response header by name, any case; "" when absent."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body or b"null")


def build_request(
    url: str,
    *,
    token: str = "",
    json_body: Any = None,
    headers: dict[str, str] | None = None,
) -> urllib.request.Request:
    """A request with the bearer token (when there is one) and a JSON body (then a POST)."""
    all_headers = dict(headers or {})
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        all_headers["Content-Type"] = "application/json"
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    return urllib.request.Request(
        url, data=data, headers=all_headers, method="POST" if data is not None else "GET"
    )


def call(
    url: str,
    *,
    token: str = "",
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Reply:
    """Send one request and read the whole answer. OSError only when there is no answer."""
    request = build_request(url, token=token, json_body=json_body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.read(), dict(response.headers.items()))
    except urllib.error.HTTPError as error:
        try:
            body = error.read()
        except OSError:
            body = b""
        return Reply(error.code, body, dict(error.headers.items()) if error.headers else {})
