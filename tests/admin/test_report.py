"""The board report agrees with the dashboard and the warning log's CSV export, for one range."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections import Counter
from zoneinfo import ZoneInfo

from admin_web.models import utcnow

PLATFORMS = ("tiktok", "instagram", "snapchat")
OUTCOMES = ("shown", "shown", "continued", "went_back", "blocked")


def _events(days_ago: int, n: int) -> list[dict]:
    now = utcnow()
    return [
        {
            "id": str(uuid.uuid4()),
            "ts": (now - dt.timedelta(days=days_ago, minutes=i)).isoformat() + "Z",
            "source": "proxy",
            "user": f"u{i % 4}@usd999.org",
            "url": f"https://www.{PLATFORMS[i % 3]}.com/",
            "host": f"www.{PLATFORMS[i % 3]}.com",
            "platform_id": PLATFORMS[i % 3],
            "category": "social_media",
            "activity": ("browse", "direct_message")[i % 2],
            "action": "block" if OUTCOMES[i % 5] == "blocked" else "warn",
            "outcome": OUTCOMES[i % 5],
        }
        for i in range(n)
    ]


def _fill(client, bearer) -> None:
    batch = _events(1, 37) + _events(12, 23) + _events(40, 19) + _events(75, 5)
    assert client.post("/api/v1/events", json=batch, headers=bearer).json["accepted"] == 84


def _dashboard_numbers(html: str) -> tuple[dict[str, int], dict[str, int]]:
    top = dict(re.findall(r'platform=(\w+)">[^<]+</a></td><td>(\d+)</td>', html))
    labels = {"Continued": "continued", "Went back": "went_back", "Blocked": "blocked"}
    labels["Warnings shown"] = "shown"
    choices = {labels[k]: int(v) for k, v in re.findall(r"<th>([\w ]+)</th><td>(\d+)</td>", html)}
    return {k: int(v) for k, v in top.items()}, choices


def _csv_counts(client, start: str, end: str) -> tuple[Counter, Counter]:
    text = client.get(f"/log.csv?from={start}&to={end}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    warned = Counter(r["platform_id"] for r in rows if r["outcome"] in ("shown", "blocked"))
    return warned, Counter(r["outcome"] for r in rows)


def test_report_numbers_match_the_dashboard_and_the_csv_export(client, auth, bearer):
    _fill(client, bearer)
    auth.login("auditor")
    today = utcnow().date()
    since = today - dt.timedelta(days=30)  # the dashboard's "last 30 days"
    report = client.get(f"/report.json?from={since}&to={today}").json
    top, choices = _dashboard_numbers(client.get("/?days=30").get_data(as_text=True))
    warned, outcomes = _csv_counts(client, since.isoformat(), today.isoformat())
    by_platform = {row["name"]: row["count"] for row in report["warnings"]["by_platform"]}
    assert by_platform == top == dict(warned)
    assert (
        sum(by_platform.values()) == report["warnings"]["total"] == 37
    )  # 60 events: 23 + 14 shown or blocked
    assert {row["name"]: row["count"] for row in report["outcomes"]} == choices == dict(outcomes)
    previous = report["previous"]
    before, _ = _csv_counts(client, previous["from"], previous["to"])
    assert {r["name"]: r["previous"] for r in report["warnings"]["by_platform"]} == dict(before)
    assert report["warnings"]["previous_total"] == sum(before.values()) == 11
    page = client.get(f"/report?from={since}&to={today}").get_data(as_text=True)
    assert f'<strong id="total-warnings">{report["warnings"]["total"]}</strong>' in page
    names = {"tiktok": "TikTok", "instagram": "Instagram", "snapchat": "Snapchat"}
    for platform, count in by_platform.items():  # the platforms' names, not the lists' ids
        assert f'<td>{names[platform]}</td><td class="num">{count}</td>' in page


def test_report_lists_approvals_accounts_requests_training_exemptions_and_versions(
    client, auth, bearer
):
    auth.login()
    client.post(
        "/lists/approvals",
        data={"platform": "facebook", "approved_on": "2026-08-10", "reference": "Minutes item 7"},
    )
    client.post("/lists/exemptions", data={"name": "Comms office", "users": "comms@usd999.org"})
    for account in ("a1", "a2"):
        client.post(
            "/requests/new",
            data={
                "requester": "coach@usd999.org",
                "platform_id": "facebook",
                "purpose": "p",
                "audience": "parents",
                "account_name": account,
                "officials": "principal@usd999.org",
                "costs": "Ads: 40",
            },
        )
    client.post("/requests/1", data={"decision": "approve"})
    client.post("/requests/2", data={"decision": "deny", "reason": "Use the district page."})
    client.post("/training", data={"email": "ana@usd999.org", "read": "1"})
    today = utcnow().date()
    report = client.get(f"/report.json?from={today - dt.timedelta(days=400)}&to={today}").json
    assert report["approvals"][0]["reference"] == "Minutes item 7"
    assert report["approvals"][0]["new"] is True
    assert [(a["handle"], a["sponsor"]) for a in report["accounts"]] == [("a1", "coach@usd999.org")]
    assert report["requests"]["by_status"] == {"approved": 1, "denied": 1}
    assert report["requests"]["approved_costs"] == "40.00"
    assert report["training"]["acknowledged"] == 1
    assert report["exemptions"][0]["name"] == "Comms office"
    assert report["policy_revision"] == "IIBGC, KASB 4/26"
    version = client.get("/api/v1/policy", headers=bearer).headers["ETag"].strip('"')
    assert report["list_version"] == version
    page = client.get("/report").get_data(as_text=True)
    assert "Minutes item 7" in page and version[:12] in page


def test_report_pdf_is_a_pdf(client, auth):
    auth.login("approver")
    response = client.get("/report.pdf?from=2026-08-01&to=2026-11-30")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert "board-report-2026-08-01-2026-11-30.pdf" in response.headers["Content-Disposition"]
    assert len(response.data) > 5000


def test_the_report_is_for_reviewers_only(client, auth):
    assert client.get("/report").status_code == 302
    assert client.get("/report.json").status_code == 302


def _at(moment: dt.datetime, n: int, platform: str = "tiktok") -> list[dict]:
    """``n`` warnings shown at one moment (an aware time)."""
    return [
        {
            "id": str(uuid.uuid4()),
            "ts": moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "source": "proxy",
            "user": "coach@usd999.org",
            "url": f"https://www.{platform}.com/",
            "host": f"www.{platform}.com",
            "platform_id": platform,
            "category": "social_media",
            "activity": "browse",
            "action": "warn",
            "outcome": "shown",
        }
        for _ in range(n)
    ]


def test_days_are_the_district_days_around_local_midnight_in_chicago(client, auth, bearer):
    """Events late in the evening and just after midnight in America/Chicago: counted by UTC
    days, day D would hold 6 (its 4 from the evening before, 22:00 CST = 04:00 UTC) and D-1
    none; by Chicago's days D holds 5 and every page agrees."""
    auth.login()
    answer = client.post("/lists/settings", data={"time_zone": "America/Chicago"})
    assert answer.status_code in (200, 302)
    chicago = ZoneInfo("America/Chicago")
    day = utcnow().replace(tzinfo=dt.UTC).astimezone(chicago).date() - dt.timedelta(days=3)

    def local(date: dt.date, hour: int, minute: int) -> dt.datetime:
        return dt.datetime.combine(date, dt.time(hour, minute), tzinfo=chicago)

    previous, following = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    batch = (
        _at(local(previous, 22, 0), 4)  # D-1 in Chicago, D in UTC
        + _at(local(day, 0, 30), 2)  # D in both
        + _at(local(day, 23, 30), 3)  # D in Chicago, D+1 in UTC
        + _at(local(following, 0, 10), 5)  # D+1 in both
    )
    assert client.post("/api/v1/events", json=batch, headers=bearer).json["accepted"] == 14
    expected = {previous: 4, day: 5, following: 5}

    chart = client.get("/?days=7").get_data(as_text=True)
    bars = {d: int(n) for d, n in re.findall(r"<title>([\d-]+): TikTok (\d+)</title>", chart)}
    assert bars == {d.isoformat(): n for d, n in expected.items()}
    assert "UTC days" not in chart
    for date, count in expected.items():
        report = client.get(f"/report.json?from={date}&to={date}").json
        assert report["warnings"]["total"] == count, date
        assert {r["name"]: r["count"] for r in report["outcomes"]} == {"shown": count}
        assert {r["name"]: r["count"] for r in report["activities"]} == {"browse": count}
        warned, _ = _csv_counts(client, date.isoformat(), date.isoformat())
        assert warned == {"tiktok": count}, date
    whole = client.get(f"/report.json?from={previous}&to={following}").json
    top, _ = _dashboard_numbers(chart)
    assert whole["warnings"]["total"] == top["tiktok"] == 14


def test_a_report_of_the_calendars_ends_is_a_report_not_an_error(client, auth):
    auth.login("auditor")
    for ends in ("from=0001-01-01&to=0001-01-05", "from=9999-12-01&to=9999-12-31", "to=0001-01-01"):
        answer = client.get(f"/report.json?{ends}")
        assert answer.status_code == 200, ends
        assert "1900-01-01" <= answer.json["from"] <= answer.json["to"] <= "2999-12-31"
