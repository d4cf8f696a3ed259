"""``staffguard demo``: a believable district on a fresh database, every page alive on it."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest

from admin_web import demo
from admin_web.db import get_db
from admin_web.models import Account, Event, PermissionRequest
from admin_web.models_iibgc import Acknowledgment, RosterEntry


@pytest.fixture
def demo_app(app):
    with app.app_context():
        counts = demo.fill(get_db(), dt.date.today())
    app.config["DEMO_COUNTS"] = counts
    return app


def test_the_demo_district_is_a_believable_semester(demo_app):
    counts = demo_app.config["DEMO_COUNTS"]
    assert 200 <= counts["staff"] <= 300 and counts["events"] > 2000
    with demo_app.app_context():
        db = get_db()
        buildings = {r.building for r in db.query(RosterEntry)}
        assert len(buildings) == 6
        days = {e.ts.date() for e in db.query(Event)}
        assert min(days) <= dt.date.today() - dt.timedelta(days=110)
        statuses = {r.status for r in db.query(PermissionRequest)}
        assert {"approved", "denied"} <= statuses
        assert db.query(Account).count() >= 5
        assert 0.6 < db.query(Acknowledgment).count() / counts["staff"] < 0.95


def test_every_page_renders_alive_on_demo_data(demo_app):
    client = demo_app.test_client()
    client.post("/login", data={"name": "admin@usd999.org", "password": "correct horse battery"})
    pages = {
        "/": "tiktok",
        "/log": "usd999.org",
        "/lists/approvals": "Board minutes",
        "/requests/?status=approved": "Review</a>",
        "/requests/?status=denied": "Review</a>",
        "/lists/exemptions": "District communications office",
        "/lists/settings": "Prairie Valley USD 999",
        "/lists/audit": "demo",
        "/training": "Our procedures",
        "/training/manage": "Prairie Valley High School",
        "/training/completion.csv": "Lincoln Elementary",
        "/report": "prairievalleyathletics",
        "/report.json": "Prairie Valley USD 999",
        "/users": "auditor@usd999.org",
    }
    for path, expected in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert expected in response.get_data(as_text=True), path
    with demo_app.app_context():
        request = get_db().query(PermissionRequest).first()
        account = get_db().query(Account).first()
    assert client.get(f"/requests/{request.id}").status_code == 200
    assert client.get(f"/requests/status/{request.key}").status_code == 200
    assert client.get(f"/lists/accounts/{account.id}/review").status_code == 200
    assert client.get("/report.pdf").data.startswith(b"%PDF-")


def test_the_command_refuses_a_database_with_data_unless_forced(tmp_path, sqlite_url):
    env = {**os.environ, "STAFFGUARD_DATABASE_URL": sqlite_url}
    env["STAFFGUARD_INSTANCE"] = str(tmp_path / "instance")
    run = [sys.executable, "-m", "policy_lists.cli", "demo"]
    first = subprocess.run(run, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert first.returncode == 0, first.stderr
    assert "First admin account" in first.stdout and "staff" in first.stdout
    again = subprocess.run(run, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 2 and "--force" in again.stderr
    forced = subprocess.run(
        [*run, "--force"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert forced.returncode == 0, forced.stderr
    assert "First admin account" not in forced.stdout


def test_the_demo_pages_speak_district_time_and_names_and_ask_before_removing(demo_app):
    """A newcomer's walk through the demo (issue 12's siblings): times in the district's zone
    (the demo's is America/Chicago), platforms by name, every red button asks first."""
    client = demo_app.test_client()
    client.post("/login", data={"name": "admin@usd999.org", "password": "correct horse battery"})
    with demo_app.app_context():
        request = get_db().query(PermissionRequest).filter_by(status="pending").first()
    assert request is not None
    paths = ["/", "/log", "/lists/approvals", "/lists/exemptions", "/lists/audit", "/feeds/"]
    paths += ["/training/manage", "/report", "/users", f"/requests/{request.id}"]
    for path in paths:
        page = client.get(path).get_data(as_text=True)
        assert "UTC" not in page, path
        for button in re.findall(r"<button[^>]*>", page):
            assert 'class="danger"' not in button or "data-confirm=" in button, (path, button)
    log = client.get("/log").get_data(as_text=True)
    assert re.search(r"\d\d:\d\d C[SD]T</a>", log) and "<td>TikTok</td>" in log
    dashboard = client.get("/").get_data(as_text=True)
    assert ">TikTok</a>" in dashboard and ">tiktok</a>" not in dashboard
    assert "TikTok (" in dashboard  # the chart's legend
    report = client.get("/report").get_data(as_text=True)
    assert "<td>TikTok</td>" in report and "<td>Went back</td>" in report
    approvals = client.get("/lists/approvals").get_data(as_text=True)
    assert "<td>Facebook</td>" in approvals and "<td>facebook</td>" not in approvals
    waiting = client.get("/requests/").get_data(as_text=True)
    assert "<td>Facebook</td>" in waiting or "<td>Instagram</td>" in waiting
    platforms = client.get("/lists/").get_data(as_text=True)
    assert "<td>social media</td>" in platforms and "direct message" in platforms
    assert "item(s)" not in waiting and re.search(r"<td>(\$[\d.]+ \(1 item\)|none)</td>", waiting)
