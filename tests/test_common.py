"""The plumbing the proxy and the admin site share (``staffguard_common``)."""

from __future__ import annotations

import json
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from staffguard_common.files import secret_file, write_atomic
from staffguard_common.http import call


def test_an_atomic_write_replaces_the_whole_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("old")
    write_atomic(path, '{"new": 1}')
    assert path.read_text() == '{"new": 1}' and os.listdir(tmp_path) == ["state.json"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("old")
    (tmp_path / "state.json.tmp").mkdir()  # the temporary cannot be opened
    with pytest.raises(OSError):
        write_atomic(path, "new")
    assert path.read_text() == "old"


def test_a_secret_file_is_made_private_and_kept(tmp_path):
    path = tmp_path / "secret"
    first = secret_file(path)
    assert len(first) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_file(path) == first


def test_a_short_secret_is_replaced_never_used(tmp_path):
    path = tmp_path / "secret"
    path.write_text("weak")
    assert len(secret_file(path)) == 64


class Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = json.dumps({"auth": self.headers["Authorization"], "got": json.loads(body)})
        self.send_response(404 if self.path == "/missing" else 200)
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args: object) -> None:
        pass


def test_a_call_sends_the_token_and_json_and_returns_any_status():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        reply = call(f"{base}/x", token="t0k", json_body=[1])
        assert reply.status == 200 and reply.header("etag") == '"v1"'
        assert reply.json() == {"auth": "Bearer t0k", "got": [1]}
        assert call(f"{base}/missing", json_body={}).status == 404
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(OSError):
        call(base, json_body={}, timeout=2)
