"""The fault suite: a full or read-only disk, torn and poison spool lines, a spool truncated under
its offset, a bad policy at restart, an admin site that is down or old, and kill -9. Whatever
fails, a warned navigation gets its page, the proxy keeps running, and every event reaches the
log once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from pathlib import Path

import pytest
from addon_cases import DISTRICT, flow
from authlib.jose import OKPKey
from mitmproxy.test import taddons
from proxy_harness import FakeAdmin, read_only, spool_drained

from policy_lists import PolicyError
from proxy_addons import identity, upkeep
from proxy_addons.addon import StaffGuard
from proxy_addons.recorder import Recorder, report_status
from proxy_addons.spool import Shipper, Spool
from staffguard_testkit.events import numbered
from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import until


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def drain(shipper: Shipper) -> None:
    while shipper.ship_once():
        pass


# --- the disk --------------------------------------------------------------------------


def test_a_full_disk_shows_every_page_and_keeps_every_event_once(guard, tmp_path, caplog):
    spool_file = tmp_path / "events.jsonl"
    guard.spool.close()
    spool_file.unlink()
    spool_file.symlink_to("/dev/full")  # every write: ENOSPC, from the kernel
    with caplog.at_level(logging.WARNING):
        for n in range(20):
            f = flow(f"https://www.tiktok.com/video/{n}")
            guard.request(f)
            assert f.response is not None and "Continue for district work" in f.response.text
    assert guard.recorder.log_failures == 20 and len(guard.recorder.held) == 20
    assert "No space left on device" in guard.recorder.last_failure
    assert any(r.levelno == logging.ERROR for r in caplog.records), "logged loudly"
    assert sum("event log write failed" in r.message for r in caplog.records) == 1, "once a minute"

    spool_file.unlink()  # the disk has room again
    assert guard.recorder.retry() is True
    urls = [e["url"] for e in lines(spool_file)]
    assert urls == [f"https://www.tiktok.com/video/{n}" for n in range(20)], "in order, once each"


def test_a_read_only_data_directory_keeps_warning(tmp_path, caplog):
    district = tmp_path / "district.yaml"
    district.write_text(DISTRICT)
    guard = StaffGuard()
    with read_only(tmp_path / "data") as data, taddons.context(guard) as tctx:
        with caplog.at_level(logging.WARNING):
            tctx.configure(guard, staffguard_policy=[str(district)], staffguard_data=str(data))
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "mitmdump would exit"
        f = flow("https://www.tiktok.com/")
        guard.request(f)
        assert "Continue for district work" in f.response.text
        assert guard.recorder.log_failures == 1 and len(guard.recorder.held) == 1
        assert len(guard.signer._secret) == 64, "a strong key kept in memory"
    assert guard.recorder.retry() is True, "writable again: the held event is written"
    assert [e["outcome"] for e in lines(tmp_path / "data" / "events.jsonl")] == ["shown"]
    guard.done()


def test_held_events_are_bounded_and_the_loss_counted(tmp_path):
    spool = Spool(tmp_path)
    spool.close()
    spool.path.unlink()
    spool.path.symlink_to("/dev/full")
    recorder = Recorder(spool, hold=3)
    for n in range(5):
        assert recorder.record(numbered(n)) is False
    assert len(recorder.held) == 3 and recorder.lost == 2 and recorder.log_failures == 5


# --- the spool file --------------------------------------------------------------------

POISON = [
    b'{"id": "torn-by-a-crash", "ou',
    b"\xff\xfe not json",
    b"[1, 2, 3]",
    b'"just a string"',
    b'{"no_id": true}',
    b'{"id": 12}',
    b"\x00\x00\x00\x00",
]


def test_poison_spool_lines_are_quarantined_and_never_block_the_rest(tmp_path, admin, caplog):
    good = [numbered(n) for n in range(3)]
    raw = [json.dumps(good[0]).encode(), *POISON, json.dumps(good[1]).encode()]
    (tmp_path / "events.jsonl").write_bytes(b"\n".join(raw) + b"\n")
    spool = Spool(tmp_path)
    spool.append(good[2])
    with caplog.at_level(logging.WARNING):
        drain(Shipper(spool, admin.url, ""))
    assert sorted(e["n"] for e in admin.stored.values()) == [0, 1, 2]
    assert spool.quarantine_path.read_bytes() == b"\n".join(POISON) + b"\n"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert spool.pending()[0] == [], "stepped over for good"


def test_an_event_with_a_nul_or_a_lone_surrogate_is_cleaned_on_the_way_out(tmp_path, admin):
    (tmp_path / "events.jsonl").write_text('{"id":"a","justification":"x\\u0000y\\ud800z"}\n')
    drain(Shipper(Spool(tmp_path), admin.url, ""))
    assert admin.stored["a"]["justification"] == "xyz"


def test_copytruncate_under_the_offset_ships_the_new_events(tmp_path, admin, caplog):
    spool = Spool(tmp_path)
    for n in range(3):
        spool.append(numbered(n))
    drain(Shipper(spool, admin.url, ""))
    spool.path.write_bytes(b"")  # logrotate copytruncate; the offset is left in place
    spool.append(numbered(3))
    with caplog.at_level(logging.WARNING):
        drain(Shipper(spool, admin.url, ""))
    assert sorted(e["n"] for e in admin.stored.values()) == [0, 1, 2, 3]
    assert "truncated or replaced" in caplog.text


def test_a_truncated_spool_that_regrew_past_its_offset_is_noticed(tmp_path, admin):
    spool = Spool(tmp_path)
    spool.append(numbered(0))
    drain(Shipper(spool, admin.url, ""))
    spool.path.write_bytes(b"")
    for n in range(1, 6):  # more than the old offset's worth of bytes, before shipping runs
        spool.append(numbered(n))
    drain(Shipper(spool, admin.url, ""))
    assert sorted(e["n"] for e in admin.stored.values()) == [0, 1, 2, 3, 4, 5]


def test_an_admin_answer_with_a_wrong_index_does_not_stop_shipping(tmp_path, admin, monkeypatch):
    spool = Spool(tmp_path)
    spool.append(numbered(1))
    shipper = Shipper(spool, admin.url, "")
    answers = iter([(400, {"index": 99}), (200, {})])
    monkeypatch.setattr(shipper, "_post", lambda events: next(answers))
    assert shipper.ship_once() is None, "retried, not crashed"
    assert shipper.ship_once() == 1


# --- the admin site --------------------------------------------------------------------


def test_the_health_report_reaches_the_admin_site(tmp_path, admin):
    spool = Spool(tmp_path)
    spool.append(numbered(1))
    recorder = Recorder(spool)
    recorder.failed("disk full")
    status = recorder.status("proxy-a:8081", "v1")
    assert report_status(admin.url, "t0k", status) is True
    [report] = admin.statuses
    assert report["reporter"] == "proxy-a:8081" and report["policy_version"] == "v1"
    assert (report["spool_backlog"], report["log_failures"]) == (1, 1)
    assert report["last_failure"].endswith("disk full")
    assert admin.requests[-1][2]["Authorization"] == "Bearer t0k"


def test_an_older_admin_site_or_none_at_all_is_tolerated(tmp_path, admin, caplog):
    admin.has_status_api = False
    status = Recorder(Spool(tmp_path)).status("p", "v")
    with caplog.at_level(logging.WARNING):
        assert report_status(admin.url, "", status) is False
    assert not caplog.records, "a 404 is an older admin site, not a fault"
    admin.stop()
    assert report_status(admin.url, "", status) is False


def test_the_background_upkeep_reports_health_and_writes_held_events(tmp_path, admin, monkeypatch):
    for interval in ("HELD_EVENTS_SECONDS", "HEALTH_SECONDS"):
        monkeypatch.setattr(upkeep, interval, 0.02)
    guard = StaffGuard()
    background = upkeep.Upkeep(guard)
    with taddons.context(guard, background) as tctx:
        tctx.configure(guard, staffguard_policy=[admin.url], staffguard_data=str(tmp_path))
        guard.spool.close()
        guard.spool.path.unlink()
        guard.spool.path.symlink_to("/dev/full")
        guard.request(flow("https://www.tiktok.com/"))
        background.running()
        until(lambda: admin.statuses, timeout=10, interval=0.05)
        assert admin.statuses[0]["log_failures"] >= 1
        assert admin.statuses[0]["spool_backlog"] == 1
        guard.spool.path.unlink()
        until(lambda: admin.stored, timeout=10, interval=0.05)
        assert [e["outcome"] for e in admin.stored.values()] == ["shown"]
    guard.done()
    background.done()
    assert background.schedule is None and background.shipper is None


def test_the_health_report_says_how_many_identity_keys_the_proxy_knows(
    tmp_path, admin, monkeypatch
):
    """With no key known, enrolled devices' events name no one: the report shows it."""
    monkeypatch.setattr(upkeep, "HEALTH_SECONDS", 0.05)
    monkeypatch.setattr(identity, "RETRY_SECONDS", 0.05)
    guard = StaffGuard()
    background = upkeep.Upkeep(guard)
    with taddons.context(guard, background) as tctx:
        tctx.configure(guard, staffguard_policy=[admin.url], staffguard_data=str(tmp_path))
        background.running()
        # the site has no key yet: fetched, none known
        empty = until(lambda: [s for s in admin.statuses if s["identity_keys_fetched"]])[0]
        assert empty["identity_keys"] == 0
        key = OKPKey.generate_key("Ed25519", is_private=True)
        admin.identity_keys = {"keys": [{**key.as_dict(is_private=False), "kid": "k1"}]}
        known = until(lambda: [s for s in admin.statuses if s["identity_keys"] == 1])[0]
    guard.done()
    background.done()
    fetched = dt.datetime.fromisoformat(known["identity_keys_fetched"].replace("Z", "+00:00"))
    assert dt.timedelta(0) <= dt.datetime.now(dt.UTC) - fetched < dt.timedelta(minutes=1)
    assert identity.state() == {}, "stopped with the addon: nothing more to report"


# --- a real mitmdump: it starts, and keeps warning -------------------------------------


def warned(proxy, path: str = "/") -> bool:
    response, page, _ = proxy.get(f"https://www.tiktok.com{path}", NAVIGATE)
    return response.status == 200 and b"Continue for district work" in page


@pytest.mark.e2e
@pytest.mark.parametrize(
    "case, said",
    [
        ("missing", "nope.yaml: no such policy file or directory"),
        ("refused", "district.yaml:1: settings: continue_minutes must be a whole number"),
        ("url and files", "give one admin-site URL or list files, not both"),
    ],
)
def test_mitmdump_refuses_to_start_on_a_bad_policy_option(proxy_factory, tmp_path, case, said):
    """A first start with nothing good to run on: the option's error, and no proxy (the addon's
    ``configure`` checks ``--set staffguard_policy`` before mitmdump serves anything)."""
    district = tmp_path / "district.yaml"
    district.write_text("settings: {continue_minutes: soon}\n")
    policy = {
        "missing": [str(tmp_path / "nope.yaml")],
        "refused": [str(district)],
        "url and files": ["http://127.0.0.1:9", str(district)],
    }[case]
    proxy = proxy_factory(policy)
    with pytest.raises(RuntimeError, match="exited"):
        proxy.start()
    assert proxy.proc is not None and proxy.proc.returncode != 0
    [error] = [line for line in proxy.log_text().splitlines() if "OptionsError: " in line]
    assert error.startswith("mitmproxy.exceptions.OptionsError: staffguard_policy: ")
    assert said in error
    assert error.count("staffguard_policy:") == 1, error  # the option named once


@pytest.mark.e2e
def test_a_restart_on_a_bad_policy_file_runs_on_the_last_good_policy(proxy_factory, tmp_path):
    district = tmp_path / "district.yaml"
    district.write_text("settings: {continue_minutes: 7}\n")
    proxy = proxy_factory([str(district)]).start()
    assert warned(proxy)
    proxy.stop()
    district.write_text("settings: {continue_minutes: soon}\n")
    proxy.start()  # past mitmdump's start-up check, which exits when an error was logged
    assert proxy.proc.poll() is None, proxy.log_text()
    assert warned(proxy)
    assert "running on the last good policy" in proxy.log_text()


@pytest.mark.e2e
def test_poison_spool_lines_neither_stop_the_proxy_nor_hold_back_events(proxy_factory):
    admin = FakeAdmin().start()
    try:
        proxy = proxy_factory([admin.url], token="t0k")
        proxy.data.mkdir(parents=True)
        before = numbered(0)
        raw = [*POISON[:3], json.dumps(before).encode(), *POISON[3:]]
        (proxy.data / "events.jsonl").write_bytes(b"\n".join(raw) + b"\n" + POISON[0])
        proxy.start()
        assert warned(proxy, "/after")
        until(lambda: len(admin.stored) == 2)
        assert proxy.proc.poll() is None, proxy.log_text()
        urls = sorted(str(e.get("url", e.get("n"))) for e in admin.stored.values())
        assert urls == ["0", "https://www.tiktok.com/after"]
        quarantined = (proxy.data / "quarantine.jsonl").read_bytes()
        assert quarantined.count(b"\n") == len(POISON) + 1, "and the torn tail"
    finally:
        admin.stop()


@pytest.mark.e2e
def test_a_read_only_data_directory_keeps_the_proxy_warning(proxy_factory):
    proxy = proxy_factory([])
    with read_only(proxy.data):
        proxy.start()  # past mitmdump's start-up check, which exits when an error was logged
        assert proxy.proc.poll() is None, proxy.log_text()
        assert warned(proxy, "/while-read-only")
        assert "event log write failed" in proxy.log_text()
    until(lambda: (proxy.data / "events.jsonl").exists())  # writable again: held events land
    until(lambda: len(lines(proxy.data / "events.jsonl")) == 1)
    assert lines(proxy.data / "events.jsonl")[0]["url"].endswith("/while-read-only")


@pytest.mark.e2e
def test_kill_9_while_shipping_loses_nothing_and_stores_nothing_twice(proxy_factory):
    admin = FakeAdmin().start()
    try:
        proxy = proxy_factory([admin.url], token="t0k").start()
        for n in range(30):
            assert warned(proxy, f"/v/{n}")
        proxy.kill()  # mid-stream: some batches delivered, maybe one not yet committed
        proxy.start()
        until(lambda: len(admin.stored) == 30)
        until(lambda: spool_drained(proxy.data))  # shipped and noted: nothing more to send
        spooled = lines(proxy.data / "events.jsonl")
        assert len(spooled) == len({e["id"] for e in spooled}) == 30, "no line written twice"
        assert sorted(e["url"] for e in admin.stored.values()) == sorted(e["url"] for e in spooled)
    finally:
        admin.stop()


# --- the other files in the data directory ---------------------------------------------


@pytest.mark.parametrize(
    "text", ["[1, 2]", '{"TODAY": {"example.org": "many"}}', "{torn", '{"TODAY": [1]}']
)
def test_a_damaged_counts_file_counts_from_zero_without_errors(tmp_path, text, caplog):
    from proxy_addons.counts import UnclassifiedCounts

    today = time.strftime("%Y-%m-%d", time.gmtime())
    (tmp_path / "unclassified.json").write_text(text.replace("TODAY", today))
    with caplog.at_level(logging.WARNING):
        counts = UnclassifiedCounts(tmp_path, "p")
        counts.record("www.example.org")
    assert sum(sum(c.values()) for c in counts.days.values()) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("text", ["[]", '{"version": 1}', "null", "{torn"])
def test_a_damaged_last_good_policy_is_no_policy(tmp_path, text, caplog):
    from proxy_addons.source import PolicySource

    data = tmp_path / "data"
    data.mkdir()
    (data / "policy.json").write_text(text)
    district = tmp_path / "district.yaml"
    district.write_text("settings: {continue_minutes: soon}\n")
    with pytest.raises(PolicyError, match=r"district\.yaml"):  # nothing good to run on
        PolicySource([str(district)], data)
    assert not [r for r in caplog.records if r.exc_info]


def test_background_jobs_run_on_their_named_intervals(tmp_path, admin):
    """An admin site is polled every 30 s and reported to every minute; list files are checked
    every two seconds and nothing is reported without an admin site."""
    guard = StaffGuard()
    background = upkeep.Upkeep(guard)
    with taddons.context(guard, background) as tctx:
        tctx.configure(guard, staffguard_policy=[admin.url], staffguard_data=str(tmp_path))
        polled = {job.name: job.seconds for job in background.jobs()}
        tctx.configure(guard, staffguard_policy=[], staffguard_data=str(tmp_path))
        local = {job.name: job.seconds for job in background.jobs()}
    guard.done()
    assert polled == {
        "policy poll": 30.0,
        "held events": 2.0,
        "unclassified counts": 60.0,
        "counts report": 60.0,
        "health report": 60.0,
    }
    assert local == {"policy files": 2.0, "held events": 2.0, "unclassified counts": 60.0}


def test_a_failing_job_does_not_stop_the_others():
    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("boom")

    schedule = upkeep.Schedule(
        [upkeep.Every("broken", 0.01, broken), upkeep.Every("fine", 0.01, lambda: ran.append("ok"))]
    )
    schedule.start()
    until(lambda: ran.count("ok") >= 3 and ran.count("broken") >= 3, timeout=5, interval=0.01)
    schedule.stop()
    schedule.join(2)
    assert ran.count("ok") >= 3 and ran.count("broken") >= 3 and not schedule.is_alive()
