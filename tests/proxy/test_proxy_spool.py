"""The event spool and its shipper: every event reaches the admin site once, whatever fails."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from proxy_addons import spool as spool_module
from proxy_addons.spool import Shipper, Spool, clean
from staffguard_testkit.events import numbered


def drain(shipper: Shipper) -> None:
    while shipper.ship_once():
        pass


def test_events_are_shipped_in_batches_of_at_most_500(tmp_path, admin):
    spool = Spool(tmp_path)
    for n in range(1203):
        spool.append(numbered(n))
    drain(Shipper(spool, admin.url, "t0k"))
    assert admin.batches == [500, 500, 203]
    assert sorted(e["n"] for e in admin.stored.values()) == list(range(1203))
    assert spool.pending() == ([], spool.path.stat().st_size)
    _, _, headers = admin.requests[0]
    assert headers["Authorization"] == "Bearer t0k"


def test_an_outage_keeps_events_until_the_admin_site_is_back(tmp_path, admin):
    spool = Spool(tmp_path)
    spool.append(numbered(1))
    admin.status = 503
    shipper = Shipper(spool, admin.url, "")
    assert shipper.ship_once() is None
    admin.stop()
    assert shipper.ship_once() is None, "unreachable is a failure too, not a loss"
    admin.start()
    admin.status = 200
    assert shipper.ship_once() == 1
    assert [e["n"] for e in admin.stored.values()] == [1]


def test_a_batch_resent_after_a_crash_is_stored_once(tmp_path, admin):
    spool = Spool(tmp_path)
    for n in range(3):
        spool.append(numbered(n))
    events, _ = spool.pending()
    Shipper(spool, admin.url, "")._post(events)  # delivered, then the proxy died: no commit
    spool.close()

    reopened = Spool(tmp_path)
    drain(Shipper(reopened, admin.url, ""))
    assert admin.batches == [3, 3] and len(admin.stored) == 3


def test_a_refused_event_is_moved_aside_and_the_rest_delivered(tmp_path, admin):
    spool = Spool(tmp_path)
    bad = numbered(2)
    admin.refuse_ids.add(bad["id"])
    for e in (numbered(1), bad, numbered(3)):
        spool.append(e)
    drain(Shipper(spool, admin.url, ""))
    assert sorted(e["n"] for e in admin.stored.values()) == [1, 3]
    [aside] = [json.loads(line) for line in spool.rejected_path.read_text().splitlines()]
    assert aside == {"error": "bad event", "event": bad}
    assert spool.pending()[0] == []


def test_a_line_cut_short_by_a_crash_does_not_swallow_the_next_event(tmp_path, admin):
    spool = Spool(tmp_path)
    spool.append(numbered(1))
    spool.close()
    with (tmp_path / "events.jsonl").open("ab") as f:
        f.write(b'{"id": "half-writ')
    reopened = Spool(tmp_path)
    reopened.append(numbered(2))
    drain(Shipper(reopened, admin.url, ""))
    assert sorted(e["n"] for e in admin.stored.values()) == [1, 2]


def test_a_fully_shipped_large_file_is_rotated(tmp_path, admin, monkeypatch):
    monkeypatch.setattr(spool_module, "ROTATE_BYTES", 200)
    spool = Spool(tmp_path)
    for n in range(5):
        spool.append(numbered(n))
    drain(Shipper(spool, admin.url, ""))
    assert (tmp_path / "events.shipped.jsonl").exists()
    assert spool.path.read_bytes() == b"" and spool.offset() == 0
    spool.append(numbered(5))
    drain(Shipper(spool, admin.url, ""))
    assert len(admin.stored) == 6


def test_the_shipper_thread_wakes_for_new_events(tmp_path, admin):
    spool = Spool(tmp_path)
    shipper = Shipper(spool, admin.url, "", interval=30.0)
    shipper.start()
    try:
        spool.append(numbered(1))
        shipper.wake.set()
        for _ in range(100):
            if admin.stored:
                break
            shipper.stopping.wait(0.05)
        assert [e["n"] for e in admin.stored.values()] == [1]
    finally:
        shipper.stop()
        shipper.join(5)


def test_without_an_admin_site_the_spool_is_the_log(tmp_path: Path):
    spool = Spool(tmp_path)
    spool.append(numbered(1))
    spool.close()
    [line] = (tmp_path / "events.jsonl").read_text().splitlines()
    assert json.loads(line)["n"] == 1


UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@given(st.text(alphabet=st.characters(codec=None), max_size=40), st.integers(1, 50))
def test_clean_text_has_no_control_bidi_or_surrogate_character_and_fits_its_limit(text, limit):
    """The shortcut for printable text gives what the full clean gives."""
    spaced = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    assert clean(text, limit) == UNSAFE.sub("", spaced)[:limit]
