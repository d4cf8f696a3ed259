"""The plumbing the proxy and the admin site share (``staffguard_common``)."""

from __future__ import annotations

import json
import os
import stat
import tracemalloc

import pytest

from staffguard_common.files import secret_file, write_atomic, write_atomic_json
from staffguard_common.http import call
from staffguard_testkit.upstream import Reply, Upstream


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


def test_an_atomic_json_write_streams_the_value_and_a_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text("old")
    value = {"text": "é\n" * 100_000, "n": [1, None, True]}
    write_atomic_json(path, value)
    assert json.loads(path.read_text(encoding="utf-8")) == value
    assert os.listdir(tmp_path) == ["policy.json"]
    with pytest.raises(TypeError):
        write_atomic_json(path, {"not json": object()})
    assert json.loads(path.read_text(encoding="utf-8")) == value, "the old file, whole"
    assert os.listdir(tmp_path) == ["policy.json"], "no temporary left"


def test_an_atomic_json_write_is_what_json_dumps_writes(tmp_path):
    """Long strings are written a slice at a time, and the file reads exactly as one dumps."""
    path = tmp_path / "policy.json"
    long = 'a "quoted" é\\ \u2028 \U0001f600\n' * 60_000  # over a slice: 1.8 M characters
    value = {
        "platforms": [{"id": "x", "domains_text": long}, {"domains_text": long[:-7]}],
        "names": (long, "short"),
        "tricky": "\x00not a marker:0",
        "n": [1.5, None, False],
    }
    write_atomic_json(path, value)
    assert path.read_text(encoding="utf-8") == json.dumps(value)


@pytest.mark.parametrize("texts", [1, 200], ids=["one long string", "many shorter ones"])
def test_an_atomic_json_write_holds_no_copy_of_its_strings(tmp_path, texts):
    """Neither one 26 M-character list nor 200 lists of 130,000 characters (a policy of many
    platforms) are ever held again as JSON text or bytes, whole."""
    text = "site.example\n" * (2_000_000 // texts)
    value = {"platforms": [{"domains_text": text[:-1] + str(n)} for n in range(texts)]}
    tracemalloc.start()
    try:
        write_atomic_json(tmp_path / "policy.json", value)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(text) * texts // 8, peak


def test_a_secret_file_is_made_private_and_kept(tmp_path):
    path = tmp_path / "secret"
    first = secret_file(path)
    assert len(first) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_file(path) == first


def test_a_short_secret_is_replaced_never_used(tmp_path):
    path = tmp_path / "secret"
    path.write_text("weak")
    assert len(secret_file(path)) == 64


def test_a_call_sends_the_token_and_json_and_returns_any_status(tmp_path):
    server = Upstream(tmp_path)
    server.replies["/x"] = Reply(200, b'{"stored": 1}', {"ETag": '"v1"'})
    server.replies["/missing"] = Reply(404, b"{}")
    try:
        reply = call(f"{server.url}/x", token="t0k", json_body=[1])
        assert reply.status == 200 and reply.header("etag") == '"v1"'
        assert reply.json() == {"stored": 1}
        [sent] = server.received
        assert sent.method == "POST" and sent.header("Authorization") == "Bearer t0k"
        assert sent.header("Content-Type") == "application/json" and json.loads(sent.body) == [1]
        assert call(f"{server.url}/missing", json_body={}).status == 404
    finally:
        server.close()
    with pytest.raises(OSError):
        call(server.url, json_body={}, timeout=2)
