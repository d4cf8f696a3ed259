"""Training and acknowledgment: the staff page, roster, completion, CSV, reminders, the API."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from aiosmtpd.controller import Controller

from admin_web import staff
from admin_web.db import get_db
from admin_web.models_iibgc import Acknowledgment
from staffguard_testkit.net import free_port, until

ROSTER = (
    "email,name,building,role\n"
    "ana@usd999.org,Ana Diaz,Lincoln High,teacher\n"
    "bo@usd999.org,Bo Lee,Lincoln High,coach\n"
    "cy@usd999.org,Cy Ng,Adams Elementary,teacher\n"
)


def test_periods_are_school_years_july_to_june():
    assert staff.period_of(dt.date(2026, 6, 30)) == "2025-26"
    assert staff.period_of(dt.date(2026, 7, 1)) == "2026-27"
    assert staff.period_of(dt.date(2027, 1, 5), start_month=1) == "2027"
    assert staff.period_bounds("2026-27") == (dt.date(2026, 7, 1), dt.date(2027, 6, 30))


def test_the_page_shows_the_policy_and_the_districts_sections(client, auth):
    page = client.get("/training").get_data(as_text=True)
    assert "No employee shall require a student to use a social media platform" in page
    auth.login()
    client.post("/training/sections", data={"title": "Our contacts", "body": "Call Dr. K."})
    auth.logout()
    page = client.get("/training").get_data(as_text=True)
    assert "Our contacts" in page and "Call Dr. K." in page


def test_staff_acknowledge_once_per_period_with_time_and_revision(app, client):
    refused = client.post("/training", data={"email": "ana@usd999.org", "name": "Ana"})
    assert refused.status_code == 400  # the box was not ticked
    done = client.post("/training", data={"email": "Ana@usd999.org", "name": "Ana", "read": "1"})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    client.post("/training", data={"email": "ana@usd999.org", "read": "1"})
    with app.app_context():
        rows = get_db().query(Acknowledgment).all()
        assert len(rows) == 1
        assert rows[0].email == "ana@usd999.org" and rows[0].name == "Ana"
        assert rows[0].policy_revision == "IIBGC, KASB 4/26" and rows[0].via == "page"
        assert rows[0].period == staff.period_of(dt.date.today())
        assert abs(rows[0].at - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(60)


def test_configured_domains_limit_who_may_acknowledge(client, auth):
    auth.login()
    client.post("/training/settings", data={"training_domains": "usd999.org"})
    auth.logout()
    other = client.post("/training", data={"email": "me@gmail.com", "read": "1"})
    assert other.status_code == 400 and "@usd999.org" in other.get_data(as_text=True)
    assert client.post("/training", data={"email": "me@usd999.org", "read": "1"}).status_code == 200


def test_completion_by_building_and_role_from_roster_and_domains(client, auth):
    auth.login()
    response = client.post(
        "/training/roster", data={"roster": (io.BytesIO(ROSTER.encode()), "roster.csv")}
    )
    assert response.status_code == 302
    client.post(
        "/training/settings", data={"domain_buildings": "dist.usd999.org = District Office"}
    )
    client.post("/training", data={"email": "ana@usd999.org", "read": "1"})
    client.post("/training", data={"email": "zed@dist.usd999.org", "read": "1"})
    page = client.get("/training/manage").get_data(as_text=True)
    assert "<td>Lincoln High</td><td>2</td><td>1</td><td>50%</td>" in page
    assert "<td>District Office</td><td>1</td><td>1</td><td>100%</td>" in page
    assert "<td>coach</td><td>1</td><td>0</td><td>0%</td>" in page
    exported = client.get("/training/completion.csv")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    by_email = {r["email"]: r for r in rows}
    assert set(by_email) == {
        "ana@usd999.org",
        "bo@usd999.org",
        "cy@usd999.org",
        "zed@dist.usd999.org",
    }
    assert by_email["ana@usd999.org"]["acknowledged_at"].endswith("Z")
    assert by_email["bo@usd999.org"]["acknowledged_at"] == ""
    assert by_email["zed@dist.usd999.org"]["building"] == "District Office"
    assert by_email["ana@usd999.org"]["via"] == "page" and by_email["bo@usd999.org"]["via"] == ""


def test_each_way_of_acknowledging_is_recorded_shown_and_exported(app, client, auth):
    """The page, the proxy's step and the extension's each record how; the completion view
    counts them and the CSV carries them. A device token is always the extension."""
    from admin_web.auth import create_token

    with app.app_context():
        proxy = create_token("proxy-1")
        device = create_token("laptop-7", "device", "cy@usd999.org")
        get_db().commit()
    url = "/api/v1/training/acknowledgments"
    client.post("/training", data={"email": "ana@usd999.org", "read": "1"})
    assert (
        client.post(url, json={"user": "bo@usd999.org"}, headers=_bearer(proxy)).status_code == 201
    )
    said = {"user": "cy@usd999.org", "via": "proxy"}  # a device cannot pass for a proxy
    assert client.post(url, json=said, headers=_bearer(device)).status_code == 201
    fleet = {"user": "di@usd999.org", "via": "extension"}  # extensions sharing a proxy token
    assert client.post(url, json=fleet, headers=_bearer(proxy)).status_code == 201
    odd = client.post(url, json={"user": "ed@usd999.org", "via": "sso"}, headers=_bearer(proxy))
    assert odd.status_code == 400 and "via 'sso'" in odd.json["error"]
    with app.app_context():
        vias = {a.email: a.via for a in get_db().query(Acknowledgment).all()}
    assert vias == {
        "ana@usd999.org": "page",
        "bo@usd999.org": "proxy",
        "cy@usd999.org": "extension",
        "di@usd999.org": "extension",
    }
    auth.login()
    page = client.get("/training/manage").get_data(as_text=True)
    for shown in ("Training page (link)</td><td>1<", "Proxy warning page</td><td>1<"):
        assert shown in page
    assert "Extension warning page</td><td>2<" in page and "SSO sign-in)</td><td>0<" in page
    assert "Not recorded" not in page, "no row predates the column"
    rows = csv.DictReader(io.StringIO(client.get("/training/completion.csv").get_data(True)))
    assert {r["email"]: r["via"] for r in rows} == vias


def test_how_is_one_of_the_four_ways():
    with pytest.raises(ValueError, match="via 'email'"):
        staff.acknowledge(None, "ana@usd999.org", "", "2026-27", "email")  # type: ignore[arg-type]


def test_a_bad_roster_row_imports_nothing(app, client, auth):
    auth.login()
    bad = ROSTER + "not-an-address,X,Y,Z\n"
    client.post("/training/roster", data={"roster": (io.BytesIO(bad.encode()), "r.csv")})
    assert "not an email address" in client.get("/training/manage").get_data(as_text=True)
    with app.app_context():
        assert staff.people(get_db(), "2026-27") == []


def test_only_admins_edit_and_auditors_cannot_send_reminders(client, auth):
    auth.login("auditor")
    assert client.get("/training/manage").status_code == 200
    assert client.post("/training/sections", data={"title": "x", "body": "y"}).status_code == 403
    assert client.post("/training/remind").status_code == 403


def test_status_api_says_when_an_acknowledgment_is_due(client, auth, bearer):
    assert client.get("/api/v1/training/status?user=ana@usd999.org").status_code == 401
    due = client.get("/api/v1/training/status?user=ana@usd999.org", headers=bearer).json
    assert due["due"] is True and due["acknowledged_at"] is None
    assert due["url"].endswith("/training?email=ana@usd999.org")
    client.post("/training", data={"email": "ana@usd999.org", "read": "1"})
    done = client.get("/api/v1/training/status?user=ana@usd999.org", headers=bearer).json
    assert done["due"] is False and done["acknowledged_at"].endswith("Z")
    auth.login()  # a new revision in force makes it due again
    client.post("/training/settings", data={"policy_revision": "IIBGC, board 2027-01-10"})
    again = client.get("/api/v1/training/status?user=ana@usd999.org", headers=bearer).json
    assert again["due"] is True and again["policy_revision"] == "IIBGC, board 2027-01-10"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_reminders_go_by_smtp_to_who_has_not_acknowledged(app, client, auth, smtp_server):
    inbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="sg@usd999.org")
    auth.login()
    client.post("/training/roster", data={"roster": (io.BytesIO(ROSTER.encode()), "r.csv")})
    client.post("/training", data={"email": "ana@usd999.org", "read": "1"})
    response = client.post("/training/remind", follow_redirects=True)
    assert "Reminders: 2 sent, 0 kept in the outbox" in response.get_data(as_text=True)
    until(lambda: len(inbox.messages) >= 2, timeout=5)
    assert sorted(to[0] for to, _ in inbox.messages) == ["bo@usd999.org", "cy@usd999.org"]
    body = dict((to[0], text) for to, text in inbox.messages)["bo@usd999.org"]
    assert "/training?email=3Dbo@usd999.org" in body or "/training?email=bo@usd999.org" in body


def test_without_a_mail_server_reminders_wait_in_the_outbox(client, auth, monkeypatch):
    monkeypatch.delenv("STAFFGUARD_SMTP_HOST", raising=False)
    auth.login()
    client.post("/training/roster", data={"roster": (io.BytesIO(ROSTER.encode()), "r.csv")})
    response = client.post("/training/remind", follow_redirects=True).get_data(as_text=True)
    assert "0 sent, 3 kept in the outbox" in response
    assert "Reminder outbox" in response and "cy@usd999.org" in response


def test_the_status_call_is_in_the_openapi_description(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "due" in str(spec["paths"]["/api/v1/training/status"])


def test_the_completion_csv_defuses_spreadsheet_formulas(client, auth):
    auth.login()
    roster = 'email,name,building,role\nx@usd999.org,"=HYPERLINK(""http://evil"")",LHS,teacher\n'
    client.post("/training/roster", data={"roster": (io.BytesIO(roster.encode()), "r.csv")})
    rows = list(csv.reader(io.StringIO(client.get("/training/completion.csv").get_data(True))))
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'


def test_the_acknowledgment_api_records_time_and_revision(app, client, bearer):
    url = "/api/v1/training/acknowledgments"
    assert client.post(url, json={"user": "ana@usd999.org"}).status_code == 401
    assert client.post(url, json={}, headers=bearer).status_code == 400
    bad = client.post(url, json={"user": "not-an-address"}, headers=bearer)
    assert bad.status_code == 400 and "not-an-address" in bad.json["error"]
    done = client.post(url, json={"user": " Ana@usd999.org "}, headers=bearer)
    assert done.status_code == 201 and done.json["due"] is False
    with app.app_context():
        [row] = get_db().query(Acknowledgment).all()
        assert (row.email, row.period) == ("ana@usd999.org", staff.current_period(get_db()))
        assert row.policy_revision == staff.policy_revision(get_db()) and row.at is not None
    status = client.get("/api/v1/training/status?user=ana@usd999.org", headers=bearer).json
    assert status["due"] is False and status["acknowledged_at"].endswith("Z")


def test_device_tokens_acknowledge_for_their_own_user_only_and_read_tokens_not_at_all(app, client):
    from admin_web.auth import create_token

    with app.app_context():
        device = create_token("laptop-7", "device", "ana@usd999.org")
        read = create_token("siem", "read")
        get_db().commit()
    url = "/api/v1/training/acknowledgments"
    mine = client.post(url, json={"user": "ana@usd999.org"}, headers=_bearer(device))
    assert mine.status_code == 201
    other = client.post(url, json={"user": "bo@usd999.org"}, headers=_bearer(device))
    assert other.status_code == 403 and "bound to ana@usd999.org" in other.json["error"]
    asked = client.get("/api/v1/training/status?user=bo@usd999.org", headers=_bearer(device))
    assert asked.status_code == 403
    assert (
        client.post(url, json={"user": "ana@usd999.org"}, headers=_bearer(read)).status_code == 403
    )
    assert (
        client.get("/api/v1/training/status?user=ana@usd999.org", headers=_bearer(read)).status_code
        == 403
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_api_needs_no_csrf_token_where_the_site_checks_them(tmp_path):
    from admin_harness import make_app

    app = make_app(f"sqlite:///{tmp_path / 'csrf.sqlite3'}", tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from admin_web.auth import create_token

        token = create_token("proxy-2")
        get_db().commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/training/acknowledgments"
    done = client.post(url, json={"user": "ana@usd999.org"}, headers=headers)
    assert done.status_code == 201
    page = client.post("/training", data={"email": "bo@usd999.org", "read": "1"})
    assert page.status_code == 400, "the staff page's own form still needs its CSRF token"
