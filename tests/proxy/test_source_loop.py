"""A data directory kept inside a watched list directory must not make the policy reload loop.

The proxy writes ``policy.json`` and its spool into the data directory; when those files counted
as list changes, every refresh recompiled the lists (a 1M-domain list every ~5 s) and rewrote
``policy.json``, which counted as a change again.
"""

from __future__ import annotations

import os
from pathlib import Path

from proxy_addons.source import PolicySource


def touch_later(path: Path, text: str) -> None:
    before = path.stat().st_mtime if path.exists() else 0.0
    path.write_text(text)
    os.utime(path, (before + 5, before + 5))


def test_files_in_a_data_dir_inside_the_list_dir_do_not_reload(tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    touch_later(lists / "district.yaml", "settings: {continue_minutes: 10}\n")
    data = lists / "data"
    source = PolicySource([str(lists)], data)
    assert (data / "policy.json").exists(), "the last good policy is kept in the data dir"
    assert source.refresh() is False, "writing policy.json is not a list change"
    touch_later(data / "spool-0001.jsonl", '{"id": 1}\n')
    touch_later(lists / "notes.txt", "not a list\n")
    assert source.refresh() is False, "spool files and other files are not list changes"
    assert source.refresh() is False


def test_list_files_in_that_dir_still_reload(tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    touch_later(lists / "district.yaml", "settings: {continue_minutes: 10}\n")
    source = PolicySource([str(lists)], lists / "data")
    touch_later(lists / "district.yaml", "settings: {continue_minutes: 20}\n")
    assert source.refresh() is True
    assert source.policy.settings["continue_minutes"] == 20
    touch_later(lists / "more.yml", "settings: {continue_minutes: 30}\n")
    assert source.refresh() is True
    assert source.policy.settings["continue_minutes"] == 30
    (lists / "more.yml").unlink()
    assert source.refresh() is True
    assert source.policy.settings["continue_minutes"] == 20
