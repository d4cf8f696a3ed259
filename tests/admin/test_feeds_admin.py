"""The Feeds page and feed fetching, against feeds a local server started by each test serves."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from feed_server import FeedServer, feed_server
from sqlalchemy import func, select

from admin_web import feed_updates
from admin_web.db import get_db
from admin_web.models import AuditRecord, Event, Feed, PolicyVersion
from policy_lists import Policy
from proxy_addons.spool import new_event

SOCIAL = b"# UT1 social_networks\nchatter.example\nfriends.example\nfacebook.com\n"
FEED = "UT1 social_networks"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as state:
        state.files["/social_networks/domains"] = SOCIAL
        yield state


def add_feed(client, server: FeedServer, **fields):
    form = {
        "name": FEED,
        "url": server.address("/social_networks/domains"),
        "format": "domains",
        "category": "social_media",
        "schedule_hours": "24",
        "enabled": "on",
        **fields,
    }
    return client.post("/feeds/", data=form)


def the_feed(app, name: str = FEED) -> Feed:
    with app.app_context():
        feed = get_db().scalar(select(Feed).where(Feed.name == name))
        assert feed is not None
        return feed


def versions(app) -> int:
    with app.app_context():
        return get_db().scalar(select(func.count()).select_from(PolicyVersion)) or 0


def fetch(client, app, name: str = FEED):
    return client.post(f"/feeds/{the_feed(app, name).id}/fetch", follow_redirects=True)


def test_a_fresh_site_has_no_feeds_and_its_policy_carries_none(client, auth, bearer):
    auth.login("admin")
    page = client.get("/feeds/").get_data(as_text=True)
    assert "No feeds" in page and "UT1 social_networks" in page  # offered, not enabled
    assert "feeds" not in client.get("/api/v1/policy", headers=bearer).json


def test_an_admin_adds_a_feed_by_url_fetches_it_and_its_sites_are_classified(
    client, auth, app, server, bearer
):
    auth.login("admin")
    assert add_feed(client, server).status_code == 302
    before = versions(app)
    page = fetch(client, app).get_data(as_text=True)
    assert f"{FEED}: 3 domains" in page
    assert the_feed(app).domain_count == 3 and versions(app) == before + 1
    copy = client.get(f"/feeds/{the_feed(app).id}/domains.txt").get_data(as_text=True)
    assert copy == "chatter.example\nfacebook.com\nfriends.example\n"

    verdict = client.get("/api/v1/check?url=https://www.chatter.example/p/1", headers=bearer).json
    assert (verdict["category"], verdict["action"], verdict["feed"]) == (
        "social_media",
        "warn",
        FEED,
    )
    assert verdict["reason"].endswith("(from feed: UT1 social_networks)")
    curated = client.get("/api/v1/check?url=https://facebook.com/", headers=bearer).json
    assert (curated["platform_id"], curated["feed"]) == ("facebook", None)
    policy = client.get("/api/v1/policy", headers=bearer).json
    assert policy["feeds"][0]["domains"] == "chatter.example\nfacebook.com\nfriends.example"
    with app.app_context():
        kinds = [r.kind for r in get_db().scalars(select(AuditRecord))]
    assert kinds == ["feed added", "feed fetched"]


def test_a_second_fetch_asks_conditionally_and_a_304_changes_nothing(client, auth, app, server):
    auth.login("admin")
    add_feed(client, server)
    fetch(client, app)
    before = versions(app)
    page = fetch(client, app).get_data(as_text=True)
    assert "unchanged (3 domains)" in page
    assert "if-none-match" not in server.requests[0]
    assert server.requests[-1]["if-none-match"] == f'"{hashlib.sha256(SOCIAL).hexdigest()[:16]}"'
    assert server.requests[-1]["if-modified-since"] == "Mon, 30 Nov 2026 04:00:00 GMT"
    feed = the_feed(app)
    assert (feed.status, feed.domain_count, versions(app)) == ("unchanged", 3, before)


def test_a_failed_fetch_keeps_the_last_good_copy_and_says_why(client, auth, app, server, bearer):
    auth.login("admin")
    add_feed(client, server)
    fetch(client, app)
    before = versions(app)
    server.fail_with = 500
    page = fetch(client, app).get_data(as_text=True)
    assert "failed: HTTP 500" in page and "last good copy kept" in page
    feed = the_feed(app)
    assert (feed.status, feed.domain_count, versions(app)) == ("failed", 3, before)
    assert "HTTP 500" in client.get("/feeds/").get_data(as_text=True)
    check = client.get("/api/v1/check?url=friends.example", headers=bearer).json
    assert check["feed"] == FEED


def test_an_oversized_fetch_keeps_the_last_good_copy(client, auth, app, server):
    auth.login("admin")
    add_feed(client, server)
    fetch(client, app)
    app.config["FEED_MAX_BYTES"] = 100
    server.files["/social_networks/domains"] = SOCIAL + b"".join(
        f"site{n}.example\n".encode() for n in range(50)
    )
    page = fetch(client, app).get_data(as_text=True)
    assert "more than 100" in page
    feed = the_feed(app)
    assert (feed.status, feed.domain_count) == ("failed", 3)
    assert "site7.example" not in feed.domains


def test_a_fetch_slower_than_the_time_cap_keeps_the_last_good_copy(client, auth, app, server):
    auth.login("admin")
    add_feed(client, server)
    fetch(client, app)
    app.config["FEED_TIMEOUT"] = 0.5
    server.files["/social_networks/domains"] = SOCIAL + b"slow1.example\nslow2.example\n"
    server.delay = 0.2  # five lines trickle in over a second
    page = fetch(client, app).get_data(as_text=True)
    assert "took longer than 0.5 s" in page
    feed = the_feed(app)
    assert (feed.status, feed.domain_count) == ("failed", 3)


def test_a_copy_in_the_wrong_format_keeps_the_last_good_copy(client, auth, app, server):
    auth.login("admin")
    add_feed(client, server, format="adguard_services")
    page = fetch(client, app).get_data(as_text=True)
    assert "not a HostlistsRegistry service file" in page
    assert the_feed(app).domain_count == 0


def test_an_uploaded_file_is_read_at_once(client, auth, app, bearer):
    auth.login("admin")
    hosts = b"0.0.0.0 uploaded.example\n0.0.0.0 www.uploaded.example other.example\n"
    response = client.post(
        "/feeds/",
        data={
            "name": "hosts upload",
            "format": "hosts",
            "category": "direct_messaging",
            "schedule_hours": "0",
            "enabled": "on",
            "file": (io.BytesIO(hosts), "hosts"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "hosts upload: 2 domains" in response.get_data(as_text=True)
    check = client.get("/api/v1/check?url=uploaded.example", headers=bearer).json
    assert (check["category"], check["action"], check["feed"]) == (
        "direct_messaging",
        "notice",
        "hosts upload",
    )


def test_disabling_a_feed_takes_its_sites_out_of_the_policy(client, auth, app, server, bearer):
    auth.login("admin")
    add_feed(client, server)
    fetch(client, app)
    feed = the_feed(app)
    form = {
        "name": FEED,
        "url": feed.url,
        "format": "domains",
        "category": "social_media",
        "schedule_hours": "24",
    }
    assert client.post(f"/feeds/{feed.id}", data=form).status_code == 302
    assert client.get("/api/v1/check?url=chatter.example", headers=bearer).json["feed"] is None
    assert the_feed(app).domain_count == 3, "the copy stays for when it is enabled again"
    client.post(f"/feeds/{feed.id}/remove")
    with app.app_context():
        assert get_db().scalar(select(func.count()).select_from(Feed)) == 0


def test_a_shipped_definition_is_enabled_and_fetched_with_one_action(
    client, auth, app, server, bearer, monkeypatch
):
    local = {
        "ut1_social_networks": {
            "id": "ut1_social_networks",
            "name": FEED,
            "url": server.address("/social_networks/domains"),
            "format": "domains",
            "category": "social_media",
            "license": "CC BY-SA 4.0",
        }
    }
    monkeypatch.setattr(feed_updates, "shipped_definitions", lambda: local)
    monkeypatch.setattr("admin_web.feeds.shipped_definitions", lambda: local)
    auth.login("admin")
    page = client.post("/feeds/shipped/ut1_social_networks", follow_redirects=True)
    assert f"{FEED}: 3 domains" in page.get_data(as_text=True)
    feed = the_feed(app)
    assert (feed.enabled, feed.definition, feed.license) == (
        True,
        "ut1_social_networks",
        "CC BY-SA 4.0",
    )
    assert client.get("/api/v1/check?url=chatter.example", headers=bearer).json["feed"] == FEED


def test_an_auditor_sees_the_feeds_but_cannot_change_them(client, auth, app, server):
    auth.login("admin")
    add_feed(client, server)
    auth.logout()
    auth.login("auditor")
    feed = the_feed(app)
    page = client.get("/feeds/").get_data(as_text=True)
    assert FEED in page and "Fetch now" not in page and "Add feed" not in page
    assert client.get(f"/feeds/{feed.id}").status_code == 200
    assert client.post(f"/feeds/{feed.id}/fetch").status_code == 403
    assert client.post(f"/feeds/{feed.id}/remove").status_code == 403
    assert add_feed(client, server, name="other").status_code == 403


def test_a_warning_from_a_feed_site_is_logged_with_its_provenance(
    client, auth, app, server, bearer
):
    auth.login("admin")
    add_feed(client, server)
    fetch(client, app)
    policy = Policy(client.get("/api/v1/policy", headers=bearer).json)
    event = new_event(policy.classify("https://chatter.example/p/1"), "shown", None, "10.1.2.3")
    assert client.post("/api/v1/events", json=[event], headers=bearer).json["accepted"] == 1
    with app.app_context():
        stored = get_db().get(Event, event["id"])
        assert stored is not None
        assert stored.reason.endswith("(from feed: UT1 social_networks)")
        assert (stored.platform_id, stored.category) == ("chatter.example", "social_media")


def test_only_enabled_feeds_past_their_schedule_are_due(app, server):
    with app.app_context():
        db = get_db()
        for name, enabled, hours in (("a", True, 24), ("b", False, 24), ("c", True, 0)):
            db.add(
                Feed(
                    name=name, url=server.address("/x"), format="domains", category="email",
                    enabled=enabled, schedule_hours=hours, status="never", message="", domains="",
                    domain_count=0, ignored=0, invalid=0,
                )
            )  # fmt: skip
        db.commit()
        assert [f.name for f in feed_updates.due(db)] == ["a"]
        feed_updates.update(db, db.scalar(select(Feed).where(Feed.name == "a")), "schedule")
        assert feed_updates.due(db) == []


def test_staffguard_feeds_update_fetches_from_the_command_line(tmp_path, server):
    env = {
        **os.environ,
        "STAFFGUARD_INSTANCE": str(tmp_path / "instance"),
        "STAFFGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    staffguard = str(Path(sys.executable).with_name("staffguard"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [staffguard, *args], capture_output=True, text=True, env=env, cwd=tmp_path
        )

    assert "no feed is due" in run("feeds", "update").stdout
    from admin_web.app import create_app

    app = create_app({"DATABASE_URL": env["STAFFGUARD_DATABASE_URL"], "TESTING": True})
    with app.app_context():
        get_db().add(
            Feed(
                name=FEED, url=server.address("/social_networks/domains"), format="domains",
                category="social_media", enabled=True, schedule_hours=24, status="never",
                message="", domains="", domain_count=0, ignored=0, invalid=0,
            )
        )  # fmt: skip
        get_db().commit()
    first = run("feeds", "update")
    assert first.returncode == 0 and f"{FEED}: 3 domains" in first.stdout, first.stderr
    again = run("feeds", "update", "--all")
    assert "unchanged" in again.stdout
    listed = run("feeds", "list").stdout
    assert f"{FEED}: enabled, social_media, 3 domains, unchanged" in listed
    checked = run("check", "--json", "https://chatter.example/")
    assert json.loads(checked.stdout)["feed"] is None, "check reads the lists, not the site"
    server.fail_with = 503
    failed = run("feeds", "update", FEED)
    assert failed.returncode == 1 and "last good copy kept" in failed.stdout
