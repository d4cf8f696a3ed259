"""The warning log: filters, pages, CSV, the dashboard and retention."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from admin_web.api import store_events
from admin_web.db import get_db
from admin_web.log import purge
from admin_web.models import Event, EventHour, UserDay, utcnow
from admin_web.rollups import hour_key


def add_events(app, count: int, **fields) -> None:
    """Store events as the API does (its checks are tested in test_api.py)."""
    rows = []
    start = utcnow() - dt.timedelta(hours=count)
    for i in range(count):
        values = {
            "id": str(uuid.uuid4()),
            "ts": start + dt.timedelta(hours=i),
            "source": "proxy",
            "user": f"user{i % 3}@usd999.org",
            "client": "10.1.2.3",
            "url": f"https://www.tiktok.com/{i}",
            "host": "www.tiktok.com",
            "platform_id": "tiktok",
            "category": "social_media",
            "activity": "browse",
            "action": "warn",
            "outcome": "shown",
            "justification": "",
            "reason": "r",
            "policy_ref": "IIBGC",
        }
        values.update(fields)
        rows.append(values)
    with app.app_context():
        store_events(get_db(), rows)


def test_the_log_pages_through_filtered_events(app, client, auth):
    add_events(app, 120)
    add_events(app, 5, user="coach@usd999.org", outcome="continued", platform_id="instagram")
    auth.login("auditor")
    first = client.get("/log").get_data(as_text=True)
    assert first.count("<tr>") == 51  # header + 50
    assert 'rel="next"' in first
    filtered = client.get("/log?user=coach@usd999.org&outcome=continued").get_data(as_text=True)
    assert filtered.count("coach@usd999.org</td>") == 5 and 'rel="next"' not in filtered
    seen = set()
    url = "/log?platform=tiktok"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen |= set(__import__("re").findall(r"https://www.tiktok.com/(\d+)", page))
        match = __import__("re").search(r'href="([^"]+)" rel="next"', page)
        url = match.group(1).replace("&amp;", "&") if match else ""
    assert len(seen) == 120, "keyset pages show every event exactly once"


def test_traffic_text_is_escaped_in_pages_and_defused_in_csv(app, client, auth):
    add_events(
        app, 1, url="https://x.example/<script>alert(1)</script>", justification="=HYPERLINK(1)"
    )
    auth.login("auditor")
    page = client.get("/log").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    rows = list(csv.DictReader(io.StringIO(client.get("/log.csv").get_data(as_text=True))))
    assert rows[0]["justification"] == "'=HYPERLINK(1)"


def test_csv_export_follows_the_filters(app, client, auth):
    add_events(app, 4)
    add_events(app, 2, platform_id="snapchat")
    auth.login("approver")
    rows = list(
        csv.DictReader(io.StringIO(client.get("/log.csv?platform=snapchat").get_data(as_text=True)))
    )
    assert [r["platform_id"] for r in rows] == ["snapchat", "snapchat"]


def test_the_dashboard_shows_the_chart_and_choices(app, client, auth, bearer):
    add_events(app, 6)
    add_events(app, 2, outcome="went_back")
    client.post(
        "/api/v1/unclassified",
        json={
            "reporter": "p",
            "counts": [{"day": utcnow().date().isoformat(), "domain": "kidblog.org", "count": 9}],
        },
        headers=bearer,
    )
    auth.login("admin")
    page = client.get("/").get_data(as_text=True)
    assert "<svg" in page and "tiktok" in page
    assert "Went back</th><td>2" in page
    assert "kidblog.org" in page and "new_domain=kidblog.org" in page


def test_retention_purges_old_events(app):
    add_events(app, 3, ts=utcnow() - dt.timedelta(days=400))
    add_events(app, 2)
    with app.app_context():
        assert purge(get_db(), 365)["events"] == 3
        assert get_db().query(Event).count() == 2


def test_the_dashboard_counts_each_event_once_and_forgets_purged_ones(app, client, auth, bearer):
    now = utcnow()
    old = now - dt.timedelta(days=400)
    add_events(app, 4, user="coach@usd999.org", ts=old)
    add_events(app, 2, user="coach@usd999.org")
    batch = [
        {
            "id": str(uuid.uuid4()),
            "ts": now.isoformat() + "Z",
            "source": "extension",
            "user": "coach@usd999.org",
            "url": "https://www.instagram.com/direct/",
            "host": "www.instagram.com",
            "platform_id": "instagram",
            "category": "social_media",
            "activity": "direct_message",
            "action": "warn",
            "outcome": outcome,
        }
        for outcome in ("shown", "continued")
    ]
    for _ in range(3):  # a sender retrying the same batch
        client.post("/api/v1/events", json=batch, headers=bearer)
    auth.login("auditor")
    page = client.get("/?days=365").get_data(as_text=True)
    assert "coach@usd999.org</a></td><td>3<" in page, "a repeat user, this year only"
    assert "Continued</th><td>1<" in page and "Warnings shown</th><td>3<" in page
    with app.app_context():
        purge(get_db(), 365)
        hours = {row.hour for row in get_db().query(EventHour)}
        users = {row.day for row in get_db().query(UserDay)}
    assert hour_key(old) not in hours and old.date().isoformat() not in users
    assert hour_key(now) in hours and now.date().isoformat() in users


def test_lms_notices_are_stored_counted_on_the_dashboard_and_filtered_in_the_log(
    app, client, auth, bearer
):
    from staffguard_testkit.events import event

    notice = event(
        ts="now",
        url="https://usd999.instructure.com/api/v1/courses/1/assignments",
        host="usd999.instructure.com",
        activity="student_required",
        action="notice",
        reason="This assignment links to TikTok. No employee shall require a student ...",
    )
    answer = client.post("/api/v1/events", json=[notice, event(ts="now")], headers=bearer)
    assert answer.status_code == 200, answer.json
    auth.login("auditor")
    page = client.get("/").get_data(as_text=True)
    assert 'id="student-required">1<' in page and "activity=student_required" in page
    log = client.get("/log?activity=student_required").get_data(as_text=True)
    assert "linked students to social media (LMS)" in log and "instructure.com" in log
    assert "direct message" not in log.split("<tbody>", 1)[-1]
