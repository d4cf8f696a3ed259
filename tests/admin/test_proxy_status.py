"""Proxies report their health (docs/design.md): the latest report per proxy is kept, shown on the
dashboard with what needs attention marked, and listed in /healthz."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from admin_web.db import get_db
from admin_web.models import ProxyStatus


def report(**overrides):
    return {
        "reporter": "proxy-a.usd999.org:8081",
        "policy_version": "0" * 16,
        "spool_backlog": 0,
        "log_failures": 0,
        "last_failure": None,
        **overrides,
    }


def current_version(client, bearer) -> str:
    return client.get("/api/v1/policy", headers=bearer).json["version"]


def test_a_report_needs_a_token(client):
    assert client.post("/api/v1/status", json=report()).status_code == 401


def test_the_latest_report_per_proxy_is_kept_and_listed_in_healthz(app, client, bearer):
    version = current_version(client, bearer)
    first = report(policy_version=version, spool_backlog=3)
    assert client.post("/api/v1/status", json=first, headers=bearer).status_code == 204
    later = report(policy_version=version, spool_backlog=0, log_failures=2,
                   last_failure="spool: [Errno 28] No space left on device")  # fmt: skip
    assert client.post("/api/v1/status", json=later, headers=bearer).status_code == 204
    other = report(reporter="proxy-b:8081", policy_version="old")
    client.post("/api/v1/status", json=other, headers=bearer)
    with app.app_context():
        assert get_db().scalar(select(func.count()).select_from(ProxyStatus)) == 2
    health = client.get("/healthz").json
    assert health["status"] == "ok"
    a, b = health["proxies"]
    assert (a["reporter"], a["spool_backlog"], a["log_failures"]) == (later["reporter"], 0, 2)
    assert a["policy_current"] and not a["stale"] and a["last_seen"].endswith("Z")
    assert (b["reporter"], b["policy_current"]) == ("proxy-b:8081", False)
    assert "last_failure" not in a, "failure text (paths on the proxy) stays off the open page"


def test_the_dashboard_marks_failures_old_policies_and_silent_proxies(app, client, auth, bearer):
    version = current_version(client, bearer)
    client.post("/api/v1/status", json=report(policy_version=version), headers=bearer)
    failing = report(reporter="failing:8081", policy_version=version, log_failures=7,
                     last_failure="spool: read-only file system", spool_backlog=5000)  # fmt: skip
    client.post("/api/v1/status", json=failing, headers=bearer)
    client.post("/api/v1/status", json=report(reporter="old:8081"), headers=bearer)
    client.post("/api/v1/status", json=report(reporter="silent:8081", policy_version=version),
                headers=bearer)  # fmt: skip
    with app.app_context():
        db = get_db()
        db.get(ProxyStatus, "silent:8081").received_at -= dt.timedelta(hours=1)
        db.commit()
    auth.login("auditor")
    page = client.get("/").get_data(as_text=True)
    rows = {line.split("<td>")[1].split("</td>")[0]: line for line in _rows(page)}
    assert "alert" not in rows["proxy-a.usd999.org:8081"]
    assert '<td class="alert">7</td>' in rows["failing:8081"]
    assert '<td class="alert">5000</td>' in rows["failing:8081"]
    assert "read-only file system" in rows["failing:8081"]
    assert "(old)" in rows["old:8081"] and "(silent)" in rows["silent:8081"]


def _rows(page: str) -> list[str]:
    section = page.split("<h2>Proxies</h2>", 1)[1].split("</section>", 1)[0]
    return ["<tr>" + row.replace("\n", "") for row in section.split("<tr>")[2:]]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"policy_version": "x"},
        report(reporter=""),
        report(spool_backlog=-1),
        report(spool_backlog=10**30),
        report(log_failures="many"),
        report(log_failures=True),
        report(last_failure=42),
        report(policy_version=None),
        report(identity_keys=-1),
        report(identity_keys="2"),
        report(identity_keys=True),
        report(identity_keys_fetched="yesterday"),
        report(identity_keys_fetched="2026-11-30T08:00:00"),  # no zone: which time is it?
        report(identity_keys_fetched=1764489600),
    ],
)
def test_a_malformed_report_is_a_400_and_keeps_the_last_one(app, client, bearer, body):
    client.post("/api/v1/status", json=report(spool_backlog=9), headers=bearer)
    assert client.post("/api/v1/status", json=body, headers=bearer).status_code == 400
    with app.app_context():
        [row] = get_db().scalars(select(ProxyStatus)).all()
    assert row.spool_backlog == 9


def test_report_text_is_cleaned_and_bounded(app, client, bearer):
    body = report(reporter="p\u0000x:1", last_failure="\ud800" + "x" * 5000)
    assert client.post("/api/v1/status", json=body, headers=bearer).status_code == 204
    with app.app_context():
        [row] = get_db().scalars(select(ProxyStatus)).all()
    assert row.reporter == "px:1" and len(row.last_failure) == 500


def test_the_identity_keys_a_proxy_knows_are_kept_and_none_is_marked(app, client, auth, bearer):
    version = current_version(client, bearer)
    knows = report(policy_version=version, identity_keys=2,
                   identity_keys_fetched="2026-11-30T09:00:00+01:00")  # fmt: skip
    none = report(reporter="none:8081", policy_version=version, identity_keys=0,
                  identity_keys_fetched=None)  # fmt: skip
    older = report(reporter="older:8081", policy_version=version)  # too old to say
    for body in (knows, none, older):
        assert client.post("/api/v1/status", json=body, headers=bearer).status_code == 204
    with app.app_context():
        row = get_db().get(ProxyStatus, knows["reporter"])
        assert (row.identity_keys, row.identity_keys_fetched_at) == (
            2,
            dt.datetime(2026, 11, 30, 8),
        )
    by_reporter = {p["reporter"]: p for p in client.get("/healthz").json["proxies"]}
    assert by_reporter[knows["reporter"]]["identity_keys_fetched"] == "2026-11-30T08:00:00Z"
    assert by_reporter["none:8081"]["identity_keys"] == 0
    assert by_reporter["older:8081"]["identity_keys"] is None
    auth.login("auditor")
    rows = {
        line.split("<td>")[1].split("</td>")[0]: line
        for line in _rows(client.get("/").get_data(as_text=True))
    }
    assert ">2 (fetched 2026-11-30 08:00 UTC)</td>" in rows[knows["reporter"]]
    assert '<td class="alert"' in rows["none:8081"] and "0 (never fetched)" in rows["none:8081"]
    assert "not reported" in rows["older:8081"] and "alert" not in rows["older:8081"]
