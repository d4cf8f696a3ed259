"""Hostile input to the API and the forms (issue 14): a clear 400 or a cleaned value, never a
500, and nothing already stored lost; on SQLite and PostgreSQL, whose limits differ."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from test_api import stored

from admin_web.db import get_db
from admin_web.models import Account, Approval, Event, PermissionRequest, Setting, Unclassified
from staffguard_testkit.events import event


def post_events(client, bearer, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/api/v1/events", data=data, headers=bearer, content_type="application/json")


@pytest.mark.parametrize(
    ("field", "raw_value", "kept"),
    [
        ("justification", '"for class\\u0000 work"', "for class work"),
        ("user", '"jdoe\\u0000@usd999.org"', "jdoe@usd999.org"),
        ("reason", '"lone \\ud800 surrogate"', "lone \ufffd surrogate"),
        (
            "url",
            '"https://www.tiktok.com/messages/\\udfff"',
            "https://www.tiktok.com/messages/\ufffd",
        ),
    ],
)
def test_nul_and_lone_surrogates_are_cleaned_and_the_batch_is_stored(
    app, client, bearer, field, raw_value, kept
):
    good, poison = event(), event()
    text = json.dumps([good, poison])
    marker = json.dumps(poison[field])
    text = text[::-1].replace(marker[::-1], raw_value[::-1], 1)[::-1]  # the second event's
    answer = post_events(client, bearer, text)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json == {"accepted": 2, "duplicates": 0, "cleaned": [1]}
    with app.app_context():
        assert getattr(get_db().get(Event, poison["id"]), field) == kept
    assert post_events(client, bearer, text).json["duplicates"] == 2, "a resend stores nothing"


@pytest.mark.parametrize(
    "ts",
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-11-20T14:03:00+99:00"],
)
def test_a_time_outside_utc_years_is_a_400_naming_the_event(app, client, bearer, ts):
    answer = post_events(client, bearer, [event(), event(ts=ts)])
    assert answer.status_code == 400 and answer.json["index"] == 1
    assert stored(app) == 0


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000, "[" * 100_000 + "]" * 100_000, '[{"id": NaN}]', "[1e999999]", b"\xff\xfe[]"],
)
def test_a_body_that_is_no_reasonable_json_is_a_400(client, bearer, body):
    answer = post_events(client, bearer, body)
    assert answer.status_code == 400 and "index" in answer.json


@pytest.mark.parametrize(
    "count",
    [
        {"day": "2026-11-20", "domain": "kidblog.org", "count": 1e30},
        {"day": "2026-11-20", "domain": "kidblog.org", "count": 10**30},
        {"day": "2026-11-20", "domain": "kidblog.org", "count": -1},
        {"day": "2026-11-20", "domain": "kidblog.org", "count": True},
        {"day": "0000-00-00", "domain": "kidblog.org", "count": 1},
        {"day": ["2026-11-20"], "domain": "kidblog.org", "count": 1},
    ],
)
def test_a_malformed_unclassified_count_is_a_400_and_stores_nothing(app, client, bearer, count):
    report = {"reporter": "proxy-1", "counts": [count]}
    answer = client.post("/api/v1/unclassified", json=report, headers=bearer)
    assert answer.status_code == 400 and answer.json["index"] == 0
    with app.app_context():
        assert not get_db().scalar(select(func.count()).select_from(Unclassified))


def test_an_unclassified_domain_that_is_no_host_name_is_skipped(app, client, bearer):
    report = {
        "reporter": "proxy-\u0000-1",
        "counts": [
            {"day": "2026-11-20", "domain": "evil\u0000.org", "count": 3},
            {"day": "2026-11-20", "domain": "kidblog.org", "count": 5},
        ],
    }
    answer = client.post("/api/v1/unclassified", json=report, headers=bearer)
    assert answer.status_code == 200 and answer.json == {"stored": 1, "skipped": [0]}
    with app.app_context():
        [row] = get_db().scalars(select(Unclassified)).all()
    assert (row.reporter, row.domain, row.count) == ("proxy--1", "kidblog.org", 5)


@pytest.mark.parametrize(
    "url",
    [
        "/log?to=9999-12-31",
        "/log?from=0001-01-01T00:00:00%2B05:00",
        "/log?after=9999-12-31T23:59:59%2B99:00|x",
        "/log.csv?to=9999-12-31",
        "/?days=%C2%B2",
        "/?days=" + "9" * 5000,
        "/requests/99999999999999999999",
        "/requests/?status=" + "x" * 5000,
    ],
)
def test_review_pages_take_any_filter_without_an_error(client, auth, url):
    auth.login("admin")
    assert client.get(url).status_code in (200, 404)


@pytest.mark.parametrize("url", ["/log?user=a%00b", "/lists/platforms/a%00b", "/?days=1%00"])
def test_a_nul_anywhere_in_a_request_is_a_400(client, auth, url):
    auth.login("admin")
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-" + "9" * 30, "1e3", "NaN"])
def test_continue_minutes_that_are_no_small_number_are_refused_on_the_form(
    app, client, auth, value
):
    auth.login("admin")
    answer = client.post("/lists/settings", data={"continue_minutes": value})
    assert answer.status_code == 200 and "continue_minutes must be a whole number" in answer.text
    with app.app_context():
        assert get_db().get(Setting, "continue_minutes") is None


@pytest.mark.parametrize("field", ["policy_url", "permission_url"])
@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "https://user@evil.example/", "//x.org"]
)
def test_links_shown_to_staff_must_be_http_or_https(app, client, auth, field, url):
    auth.login("admin")
    answer = client.post("/lists/settings", data={field: url})
    assert "must be an http:// or https:// address" in answer.text
    with app.app_context():
        assert get_db().get(Setting, field) is None
    client.post("/lists/settings", data={field: "https://usd999.org/board/iibgc"})
    with app.app_context():
        assert get_db().get(Setting, field).value == "https://usd999.org/board/iibgc"


@pytest.mark.parametrize(
    "form",
    [
        {"remove_approval": "abc"},
        {"remove_approval": "9" * 5000},
        {"remove_account": "99999999999999999999"},
        {"remove_approval": "²"},
    ],
)
def test_removing_by_a_bad_id_is_a_400_and_removes_nothing(app, client, auth, form):
    auth.login("admin")
    client.post("/lists/approvals", data={"platform": "tiktok", "approved_on": "2026-05-12"})
    assert client.post("/lists/approvals", data=form).status_code == 400
    with app.app_context():
        assert get_db().scalar(select(func.count()).select_from(Approval)) == 1


def test_removing_an_exemption_by_a_bad_id_is_a_400(client, auth):
    auth.login("admin")
    assert client.post("/lists/exemptions", data={"remove": "x1"}).status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reference", "r" * 501),
        ("handle", "h" * 201),
        ("platform", "p" * 101),
    ],
)
def test_register_fields_longer_than_their_columns_are_refused(app, client, auth, field, value):
    auth.login("admin")
    form = {"platform": "tiktok", "approved_on": "2026-05-12", "handle": "x", "sponsor": "a@b.org"}
    form["kind"] = "account" if field == "handle" else "approval"
    client.post("/lists/approvals", data={**form, field: value})
    with app.app_context():
        db = get_db()
        assert not db.scalar(select(func.count()).select_from(Approval))
        assert not db.scalar(select(func.count()).select_from(Account))


def test_a_platform_id_longer_than_its_column_is_refused(client, auth):
    auth.login("admin")
    form = {"id": "a" * 150, "name": "A", "category": "social_media", "domains": "a.org"}
    answer = client.post("/lists/platforms/new", data=form)
    assert answer.status_code == 200 and "longer than 100" in answer.text


def test_account_and_token_names_have_a_length(client, auth):
    auth.login("admin")
    long_user = {"name": "x" * 300, "role": "auditor", "password": "a long passphrase"}
    assert "1 to 200" in client.post("/users", data=long_user, follow_redirects=True).text
    assert (
        "1 to 200" in client.post("/tokens", data={"name": "t" * 300}, follow_redirects=True).text
    )


REQUEST = {
    "requester": "coach@usd999.org",
    "platform_id": "tiktok",
    "purpose": "Team news",
    "audience": "Parents",
    "account_name": "lincolnhs_team",
}


def requests_stored(app) -> int:
    with app.app_context():
        return get_db().scalar(select(func.count()).select_from(PermissionRequest))


@pytest.mark.parametrize(
    "costs",
    [
        "Ads: 1e10000000",
        "Ads: 9e999999999999999999",
        "Ads: NaN",
        "Ads: -Infinity",
        "Ads: Infinity",
        "Ads: -5",
        "Ads: 99999999999",
        "\n".join(f"item {n}: 1" for n in range(60)),
    ],
)
def test_costs_are_finite_non_negative_amounts_under_a_cap(app, client, costs):
    answer = client.post("/requests/new", data={**REQUEST, "costs": costs})
    assert answer.status_code == 400 and "costs" in answer.text
    assert requests_stored(app) == 0


def test_a_plain_cost_is_stored_with_cents(app, client):
    answer = client.post("/requests/new", data={**REQUEST, "costs": "Canva Pro: $1,200.5"})
    assert answer.status_code == 302
    with app.app_context():
        [record] = get_db().scalars(select(PermissionRequest)).all()
    assert record.costs == [{"item": "Canva Pro", "amount": "1200.50"}]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purpose", "p" * 10_000_000),
        ("purpose", "p" * 5001),
        ("audience", "a" * 501),
        ("account_name", "n" * 201),
        ("requester", "r" * 300 + "@usd999.org"),
        ("officials", "\n".join(f"o{n}@usd999.org" for n in range(51))),
        ("requester", "co\x00ach@usd999.org"),
    ],
)
def test_every_request_field_is_bounded(app, client, field, value):
    answer = client.post("/requests/new", data={**REQUEST, field: value})
    assert answer.status_code == (413 if len(value) > 64 * 1024 else 400)
    assert len(answer.data) < 100_000, "nothing is echoed back at length"
    assert requests_stored(app) == 0


def test_the_requester_must_be_staff_when_the_district_names_its_domains(app, client, auth):
    auth.login("admin")
    client.post("/lists/settings", data={"staff_domains": "usd999.org"})
    auth.logout()
    outsider = client.post("/requests/new", data={**REQUEST, "requester": "x@evil.example"})
    assert outsider.status_code == 400 and "usd999.org" in outsider.text
    lookalike = {**REQUEST, "requester": "x@notusd999.org"}
    assert client.post("/requests/new", data=lookalike).status_code == 400
    school = {**REQUEST, "requester": "coach@lincoln.usd999.org"}
    assert client.post("/requests/new", data=school).status_code == 302
    assert requests_stored(app) == 1


def test_requests_are_rate_limited_per_address(app, client):
    for n in range(10):
        answer = client.post(
            "/requests/new",
            data={**REQUEST, "account_name": f"team{n}"},
            environ_base={"REMOTE_ADDR": "10.5.5.5"},
        )
        assert answer.status_code == 302
    refused = client.post("/requests/new", data=REQUEST, environ_base={"REMOTE_ADDR": "10.5.5.5"})
    assert refused.status_code == 429
    other = client.post("/requests/new", data=REQUEST, environ_base={"REMOTE_ADDR": "10.5.5.6"})
    assert other.status_code == 302
    assert requests_stored(app) == 11
