"""What an admin reads on the site's pages: the chart, the dashboard's lists, times in the
district's zone, the log's filters, the platform choices, confirmations and human words."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from admin_web.api import store_events
from admin_web.charts import day_range, stacked_bars, ticks
from admin_web.db import get_db
from admin_web.describe import changes
from admin_web.infrastructure import is_infrastructure
from admin_web.models import utcnow


def event(**fields) -> dict:
    values = {
        "id": str(uuid.uuid4()),
        "ts": utcnow(),
        "source": "proxy",
        "user": "j.smith@usd999.org",
        "client": "10.1.2.3",
        "url": "https://www.tiktok.com/x",
        "host": "www.tiktok.com",
        "platform_id": "tiktok",
        "category": "social_media",
        "activity": "direct_message",
        "action": "warn",
        "outcome": "went_back",
        "justification": "",
        "reason": "Direct messages with students are not allowed.",
        "policy_ref": "IIBGC",
    }
    values.update(fields)
    return values


def store(app, *events: dict) -> None:
    with app.app_context():
        store_events(get_db(), list(events))


def set_settings(client, **values: str) -> None:
    answer = client.post("/lists/settings", data=values, follow_redirects=True)
    assert "Settings saved" in answer.get_data(as_text=True)


def rows(page: str) -> int:
    return len(re.findall(r'href="/log/[0-9a-f-]{36}"', page))


# 6. The dashboard chart


def test_the_chart_has_every_day_of_the_range_with_round_ticks():
    days = day_range(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    svg = str(stacked_bars([("2026-11-30", "tiktok", 7)], days))
    assert len(days) == 30
    bar_width = float(re.search(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg).group(1))
    assert bar_width < 706 / 30, "one day of data is one narrow bar, not 80% of the width"
    x_labels = re.findall(r'class="x-tick"[^>]*>([^<]+)<', svg)
    assert x_labels[0] == "Nov 1" and len(x_labels) >= 10, "the range's days, from its first"
    assert re.findall(r'class="y-tick"[^>]*>(\d+)<', svg) == ["0", "2", "4", "6", "8"]
    assert ticks(1) == [0, 1] and ticks(95) == [0, 20, 40, 60, 80, 100]


def test_the_dashboard_chart_spans_the_chosen_days(app, client, auth):
    store(app, event(outcome="shown"))
    auth.login("auditor")
    page = client.get("/?days=7").get_data(as_text=True)
    labels = re.findall(r'class="x-tick"[^>]*>([^<]+)<', page)
    today = utcnow().date()
    assert len(labels) == 7 and labels[-1] == f"{today:%b} {today.day}"


# 7. Infrastructure stays out of "Unclassified sites staff use most"


def test_background_hosts_stay_out_of_the_unclassified_sites(app, client, auth, bearer):
    today = utcnow().date().isoformat()
    counts = [
        {"day": today, "domain": domain, "count": n}
        for domain, n in [
            ("googleapis.com", 900),
            ("content-autofill.googleapis.com", 800),
            ("gvt1.com", 700),
            ("msftconnecttest.com", 600),
            ("lencr.org", 500),
            ("kidblog.org", 3),
        ]
    ]
    answer = client.post(
        "/api/v1/unclassified", json={"reporter": "p1", "counts": counts}, headers=bearer
    )
    assert answer.status_code == 200
    auth.login("auditor")
    page = client.get("/").get_data(as_text=True)
    table = page.split("Unclassified sites staff use most", 1)[1]
    assert "kidblog.org" in table
    for host in ("googleapis.com", "gvt1.com", "msftconnecttest.com", "lencr.org"):
        assert host not in table


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("update.googleapis.com", True),
        ("safebrowsing.googleapis.com", True),
        ("redirector.gvt1.com", True),
        ("connectivitycheck.gstatic.com", True),
        ("www.msftconnecttest.com", True),
        ("download.windowsupdate.com", True),
        ("courier.push.apple.com", True),
        ("incoming.telemetry.mozilla.org", True),
        ("ocsp.digicert.com", True),
        ("r3.o.lencr.org", True),
        ("detectportal.firefox.com", True),
        ("apple.com", False),
        ("mozilla.org", False),
        ("digicert.com", False),
        ("notgoogleapis.com", False),
        ("kidblog.org", False),
    ],
)
def test_the_infrastructure_list_covers_hosts_and_their_subdomains_only(host, expected):
    assert is_infrastructure(host) is expected


# 8. One time zone, one format


def test_times_show_in_the_district_time_zone_in_one_format(app, client, auth):
    store(app, event(ts=dt.datetime(2026, 11, 30, 2, 59, 15, 361598)))
    auth.login("admin")
    set_settings(client, time_zone="America/Chicago")
    log = client.get("/log").get_data(as_text=True)
    assert "2026-11-29 20:59 CST" in log and "Time (America/Chicago)" in log
    assert "02:59:15" not in log and ".361598" not in log
    event_id = re.search(r'href="/log/([0-9a-f-]{36})"', log).group(1)
    detail = client.get(f"/log/{event_id}").get_data(as_text=True)
    assert "2026-11-29 20:59 CST" in detail and "T02:59" not in detail
    audit = client.get("/lists/audit").get_data(as_text=True)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d C[SD]T", audit)


def test_log_dates_are_the_district_days(app, client, auth):
    store(app, event(ts=dt.datetime(2026, 11, 30, 3, 0)))  # 21:00 on the 29th in Kansas
    auth.login("admin")
    set_settings(client, time_zone="America/Chicago")
    assert rows(client.get("/log?from=2026-11-29&to=2026-11-29").get_data(as_text=True)) == 1
    assert rows(client.get("/log?from=2026-11-30&to=2026-11-30").get_data(as_text=True)) == 0


def test_a_time_zone_that_does_not_exist_is_refused_next_to_its_field(client, auth):
    auth.login("admin")
    page = client.post("/lists/settings", data={"time_zone": "Kansas/Topeka"})
    text = page.get_data(as_text=True)
    assert "is not a zone such as America/Chicago" in text
    assert text.index("is not a zone") > text.index('id="time_zone"')
    assert "America/Chicago" in client.get("/lists/settings").get_data(as_text=True)


# 9. Log filters


def test_user_filters_by_part_of_the_name_and_client_by_its_start(app, client, auth):
    store(
        app,
        event(user="j.smith@usd999.org", client="10.1.2.3"),
        event(user="A.Smithers@usd999.org", client="10.1.9.9"),
        event(user="coach@usd999.org", client="110.1.2.3"),
    )
    auth.login("auditor")
    assert rows(client.get("/log?user=smith").get_data(as_text=True)) == 2
    assert rows(client.get("/log?user=SMITH").get_data(as_text=True)) == 2
    assert rows(client.get("/log?user=%25").get_data(as_text=True)) == 0, "% is text"
    assert rows(client.get("/log?user=smith@usd999").get_data(as_text=True)) == 1
    assert rows(client.get("/log?user=j.smith@usd999.org").get_data(as_text=True)) == 1
    assert rows(client.get("/log?client=10.1.").get_data(as_text=True)) == 2
    assert rows(client.get("/log?client=10.1.2").get_data(as_text=True)) == 1
    assert rows(client.get("/log?client=10.1.9.9").get_data(as_text=True)) == 1
    csv = client.get("/log.csv?user=smith").get_data(as_text=True)
    assert csv.count("@usd999.org") == 2


def test_a_from_date_after_the_to_date_is_explained(app, client, auth):
    store(app, event())
    auth.login("auditor")
    page = client.get("/log?from=2026-11-30&to=2026-11-01").get_data(as_text=True)
    assert "From (2026-11-30) is after To (2026-11-01)" in page and rows(page) == 0
    bad = client.get("/log?from=30/11/2026").get_data(as_text=True)
    assert "From is not a date" in bad
    assert client.get("/log.csv?from=2026-11-30&to=2026-11-01").status_code == 400


def test_the_platform_filter_groups_names_by_category_social_media_first(client, auth):
    auth.login("auditor")
    page = client.get("/log").get_data(as_text=True)
    select = page.split('<select id="platform"', 1)[1].split("</select>", 1)[0]
    groups = re.findall(r'<optgroup label="([^"]+)"', select)
    assert groups[0] == "Social media" and "Educational" in groups
    assert '<option value="x" >X (Twitter)</option>' in select.replace("  ", " ")


# 10. Social media platforms first


def test_the_approvals_form_offers_social_media_and_others_on_request(client, auth):
    auth.login("approver")
    page = client.get("/lists/approvals").get_data(as_text=True)
    select = page.split('<select id="a-platform"', 1)[1].split("</select>", 1)[0]
    assert re.search(r"<option value=\"\">choose a platform", select), "no default platform"
    assert "Instagram" in select and "MathLab" not in select and "ClassChat" not in select
    every = client.get("/lists/approvals?all=1").get_data(as_text=True)
    select = every.split('<select id="a-platform"', 1)[1].split("</select>", 1)[0]
    assert select.index("Instagram") < select.index("MathLab")
    refused = client.post(
        "/lists/approvals", data={"kind": "approval", "platform": "x", "approved_on": "someday"}
    ).get_data(as_text=True)
    assert re.search(r'<option value="x" selected>X \(Twitter\)', refused), "kept after an error"


def test_the_permission_request_form_lists_social_media_first(client):
    page = client.get("/requests/new").get_data(as_text=True)
    select = page.split('<select id="platform_id"', 1)[1].split("</select>", 1)[0]
    assert "Snapchat" in select and "MathLab" not in select
    assert "Another kind of platform" in page
    chosen = client.get("/requests/new?platform=mathlab").get_data(as_text=True)
    assert re.search(r'<option value="mathlab" selected>MathLab', chosen)


# 11. Confirm before removing


def test_removals_and_revocations_ask_first(app, client, auth):
    auth.login("admin")
    client.post("/lists/approvals", data={"platform": "x", "approved_on": "2026-05-12"})
    client.post("/tokens", data={"name": "proxy-9"})
    for url, action in [
        ("/lists/approvals", "remove_approval"),
        ("/users", "revoke"),
        ("/lists/platforms/tiktok", "Remove this platform"),
    ]:
        page = client.get(url).get_data(as_text=True)
        button = re.search(rf"<button[^>]*{action}[^>]*>", page) or re.search(
            rf"<button[^>]*>{action}", page
        )
        assert button and "data-confirm=" in button.group(0), url
    assert "/static/confirm.js" in page
    script = client.get("/static/confirm.js").get_data(as_text=True)
    assert "window.confirm" in script and "preventDefault" in script


# 12. Human words


def test_the_event_detail_speaks_human_words(app, client, auth):
    store(app, event(user=None, justification=""))
    auth.login("auditor")
    log = client.get("/log").get_data(as_text=True)
    event_id = re.search(r'href="/log/([0-9a-f-]{36})"', log).group(1)
    page = client.get(f"/log/{event_id}").get_data(as_text=True)
    main = page.split("<main>", 1)[1]
    assert "Warned: direct message on TikTok" in main
    assert "Staff member</dt><dd>not known" in main and "None" not in main
    for raw in ("platform_id", "policy_ref", "went_back", "direct_message"):
        assert raw not in main.replace('href="/log"', "")


def test_the_audit_trail_shows_a_readable_before_and_after(client, auth):
    auth.login("admin")
    client.post(
        "/lists/platforms/new",
        data={"id": "kidblog", "name": "Kidblog", "category": "social_media", "domains": "a.org"},
    )
    client.post(
        "/lists/platforms/kidblog",
        data={"name": "Kidblog", "category": "social_media", "domains": "kidblog.org"},
    )
    page = client.get("/lists/audit").get_data(as_text=True)
    assert "Saved a platform" in page
    assert "<strong>domains 1</strong>:\n    <del>a.org</del> → <ins>kidblog.org</ins>" in page
    assert '{"' not in page, "no raw JSON"


def test_changes_name_each_field_that_differs():
    before = {"name": "X", "rules": [{"activity": "comment", "paths": ["/a"]}]}
    after = {"name": "X", "rules": [{"activity": "direct_message", "paths": ["/a"]}], "note": "n"}
    assert [(c.field, c.before, c.after, c.kind) for c in changes(before, after)] == [
        ("rules 1 activity", "comment", "direct_message", "changed"),
        ("note", "", "n", "added"),
    ]


def test_rules_and_action_overrides_come_with_help_and_examples(client, auth):
    auth.login("admin")
    form = client.get("/lists/platforms/new").get_data(as_text=True)
    assert "How to write activity rules" in form and "- activity: direct_message" in form
    # each activity's override says what it does to staff, and keeps the vocabulary as value
    assert '<label for="action_direct_message">Direct message</label>' in form
    assert '<option value="warn" >warn: a page with Continue</option>' in form
    settings = client.get("/lists/settings").get_data(as_text=True)
    assert "How to write action overrides" in settings and "signup: block" in settings


# 13. District name, favicon, post/redirect/get


def test_the_first_admin_sign_in_asks_for_the_district_name(app, client, auth, bearer):
    auth.login("approver")
    assert "what is your district called" not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    assert "what is your district called" in client.get("/").get_data(as_text=True)
    client.post("/lists/settings", data={"retention_days": "90"})
    answer = client.post(
        "/lists/welcome", data={"district_name": "USD 999 Lincoln", "time_zone": "America/Denver"}
    )
    assert answer.status_code == 302
    assert "what is your district called" not in client.get("/").get_data(as_text=True)
    settings = client.get("/api/v1/policy", headers=bearer).json["settings"]
    assert settings["district_name"] == "USD 999 Lincoln"
    assert settings["time_zone"] == "America/Denver" and settings["retention_days"] == 90


def test_the_site_serves_a_favicon(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/x-icon"
    assert answer.data[:4] == b"\x00\x00\x01\x00", "an ICO file"


def test_creating_a_token_redirects_and_shows_it_once(client, auth):
    auth.login("admin")
    answer = client.post("/tokens", data={"name": "chromebooks-ms"})
    assert answer.status_code == 302 and answer.location.endswith("/users")
    first = client.get("/users").get_data(as_text=True)
    assert '<code id="new-token">sg_' in first
    assert 'id="new-token"' not in client.get("/users").get_data(as_text=True)


def test_a_part_that_many_users_share_is_searched_in_the_events(app, client, auth, monkeypatch):
    store(app, event(user="j.smith@usd999.org"), event(user="b.smith@usd999.org"), event(user="c"))
    monkeypatch.setattr("admin_web.log.MANY_USERS", 1)
    auth.login("auditor")
    assert rows(client.get("/log?user=smith").get_data(as_text=True)) == 2
