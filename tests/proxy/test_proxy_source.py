"""Where the proxy's policy comes from: list files re-read on change, an admin site polled with
an ETag, and the last good policy on disk whenever the new one is missing or bad."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from policy_lists import DEFAULTS, PolicyError, compile_sources
from proxy_addons.source import PolicySource


def write(path: Path, text: str) -> Path:
    """Write and move the modification time on, as an editor saving twice in a second would."""
    before = path.stat().st_mtime if path.exists() else 0.0
    path.write_text(text)
    os.utime(path, (before + 5, before + 5))
    return path


def district_policy(tmp_path: Path, minutes: int) -> dict:
    return compile_sources(DEFAULTS, write(tmp_path / f"d{minutes}.yaml", _settings(minutes)))


def _settings(minutes: int) -> str:
    return f"settings: {{continue_minutes: {minutes}}}\n"


def test_an_edited_list_file_is_picked_up(tmp_path):
    district = write(tmp_path / "district.yaml", _settings(10))
    source = PolicySource([str(district)], tmp_path / "data")
    assert source.policy.settings["continue_minutes"] == 10
    assert source.refresh() is False, "nothing changed, nothing re-read"
    write(district, _settings(20))
    assert source.refresh() is True
    assert source.policy.settings["continue_minutes"] == 20


def test_a_bad_edit_keeps_the_old_policy_and_says_why(tmp_path, caplog):
    district = write(tmp_path / "district.yaml", _settings(10))
    source = PolicySource([str(district)], tmp_path / "data")
    version = source.policy.version
    write(district, "platforms:\n  - {id: tiktok, disabled: maybe}\n")
    with caplog.at_level(logging.ERROR):
        assert source.refresh() is False
    assert source.policy.version == version
    assert "district.yaml:2" in caplog.text and "keeping version" in caplog.text


def test_a_proxy_restarted_on_a_bad_file_runs_on_the_last_good_policy(tmp_path, caplog):
    district = write(tmp_path / "district.yaml", _settings(10))
    PolicySource([str(district)], tmp_path / "data")
    write(district, "settings: {continue_minutes: soon}\n")
    with caplog.at_level(logging.WARNING):
        source = PolicySource([str(district)], tmp_path / "data")
    assert source.policy.settings["continue_minutes"] == 10
    assert "running on the last good policy" in caplog.text
    # mitmdump exits on any error logged while it starts: this must stay a warning
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_first_start_on_a_bad_file_is_a_clear_error(tmp_path):
    district = write(tmp_path / "district.yaml", "settings: {continue_minutes: soon}\n")
    with pytest.raises(PolicyError, match=r"district\.yaml:1"):
        PolicySource([str(district)], tmp_path / "data")


def test_the_admin_site_is_polled_with_its_token_and_etag(tmp_path, admin):
    admin.set_policy(district_policy(tmp_path, 10))
    source = PolicySource([admin.url], tmp_path / "data", token="t0k")
    assert source.policy.settings["continue_minutes"] == 10
    assert source.refresh() is False, "304: nothing new"
    admin.set_policy(district_policy(tmp_path, 20))
    assert source.refresh() is True
    assert source.policy.settings["continue_minutes"] == 20

    first, second, third = (headers for _, _, headers in admin.requests)
    assert first["Authorization"] == "Bearer t0k" and "If-None-Match" not in first
    assert second["If-None-Match"] == third["If-None-Match"] != ""
    assert [path for _, path, _ in admin.requests] == ["/api/v1/policy"] * 3


def test_a_fetched_policy_is_indexed_once(tmp_path, admin, monkeypatch):
    """Each Policy indexes every listed name (seconds for millions): one per new document."""
    import proxy_addons.source

    built = []

    class Counted(proxy_addons.source.Policy):
        def __init__(self, compiled: dict) -> None:
            built.append(compiled["version"])
            super().__init__(compiled)

    monkeypatch.setattr(proxy_addons.source, "Policy", Counted)
    admin.set_policy(district_policy(tmp_path, 10))
    source = PolicySource([admin.url], tmp_path / "data")
    admin.set_policy(district_policy(tmp_path, 20))
    assert source.refresh() is True
    assert len(built) == 2 and built[1] == source.policy.version != built[0]


def test_a_big_list_is_kept_once_indexed_and_saved_whole(tmp_path):
    """The proxy drops a domains_file's text (most of a big list's memory) after indexing it,
    and keeps only its first name (a platform's home); the last good copy on disk keeps all."""
    names = [f"site{n}.blocked.example" for n in range(500)]
    (tmp_path / "blocked.txt").write_text("\n".join(names) + "\n")
    listed = "platforms:\n  - {id: blocked, name: Blocked, category: social_media, "
    write(tmp_path / "big.yaml", listed + "domains_file: blocked.txt}\n")
    for source in (
        PolicySource([str(tmp_path / "big.yaml")], tmp_path / "data"),
        PolicySource([str(tmp_path / "nowhere.yaml")], tmp_path / "data"),  # the saved copy
    ):
        kept = {p["id"]: p for p in source.policy.compiled["platforms"]}["blocked"]
        assert kept["domains_text"] == names[0], "only the home domain"
        for name in (names[0], names[250], names[-1]):
            assert source.policy.platform_for_host(f"www.{name}").id == "blocked"
    saved = json.loads((tmp_path / "data" / "policy.json").read_text())
    text = {p["id"]: p for p in saved["platforms"]}["blocked"]["domains_text"]
    assert text.split("\n") == names


def test_an_edited_big_list_is_saved_whole_before_its_text_is_dropped(tmp_path):
    """A re-read list file is saved first, then indexed with its text dropped as it goes."""
    (tmp_path / "blocked.txt").write_text("old.blocked.example\n")
    listed = "platforms:\n  - {id: blocked, name: Blocked, category: social_media, "
    write(tmp_path / "big.yaml", listed + "domains_file: blocked.txt}\n")
    source = PolicySource([str(tmp_path / "big.yaml")], tmp_path / "data")
    names = [f"site{n}.blocked.example" for n in range(300)]
    (tmp_path / "blocked.txt").write_text("\n".join(names) + "\n")
    write(tmp_path / "big.yaml", listed + "domains_file: blocked.txt, note: edited}\n")
    assert source.refresh() is True
    kept = {p["id"]: p for p in source.policy.compiled["platforms"]}["blocked"]
    assert kept["domains_text"] == names[0]
    assert source.policy.platform_for_host(f"a.{names[-1]}").id == "blocked"
    assert source.policy.platform_for_host("old.blocked.example") is None
    saved = json.loads((tmp_path / "data" / "policy.json").read_text())
    text = {p["id"]: p for p in saved["platforms"]}["blocked"]["domains_text"]
    assert text.split("\n") == names


def test_a_proxy_starts_on_the_last_good_policy_when_the_admin_site_is_down(tmp_path, admin):
    admin.set_policy(district_policy(tmp_path, 10))
    PolicySource([admin.url], tmp_path / "data")
    admin.stop()
    source = PolicySource([admin.url], tmp_path / "data")
    assert source.policy.settings["continue_minutes"] == 10


def test_an_admin_site_serving_a_broken_policy_does_not_replace_the_good_one(tmp_path, admin):
    admin.set_policy(district_policy(tmp_path, 10))
    source = PolicySource([admin.url], tmp_path / "data")
    admin.set_policy({"version": "broken", "settings": {}})
    assert source.refresh() is False
    assert source.policy.settings["continue_minutes"] == 10


def test_an_admin_site_in_trouble_keeps_the_policy_in_force(tmp_path, admin):
    admin.set_policy(district_policy(tmp_path, 10))
    source = PolicySource([admin.url], tmp_path / "data")
    version, policy = source.policy.version, source.policy
    admin.status = 503
    assert source.refresh() is False
    assert source.policy is policy and source.policy.version == version
    assert source.policy.settings["continue_minutes"] == 10
    assert source.policy.classify("https://www.tiktok.com/messages").action == "warn"


def test_a_url_and_list_files_together_are_refused(tmp_path, admin):
    with pytest.raises(ValueError, match="not both"):
        PolicySource([admin.url, str(tmp_path)], tmp_path / "data")
