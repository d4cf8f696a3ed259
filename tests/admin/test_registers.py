"""The registers (approvals, accounts, exemptions, settings), one behaviour a test: adding one
changes the policy, removing it changes it back; a district platform removed is gone."""

from __future__ import annotations

import html
import io

from sqlalchemy import select

from admin_web.db import get_db
from admin_web.models import Account, Approval, ExemptionRow

APPROVAL = {
    "kind": "approval",
    "platform": "facebook",
    "approved_on": "2026-05-12",
    "reference": "minutes item 7",
}
ACCOUNT = {
    "kind": "account",
    "platform": "facebook",
    "handle": "lincolnhigh",
    "sponsor": "jdoe@usd999.org",
    "officials": "principal@usd999.org",
}
EXEMPTION = {"name": "Virtual Academy", "users": "@va.usd999.org", "networks": "10.77.0.0/16"}


def policy(client, bearer) -> dict:
    return client.get("/api/v1/policy", headers=bearer).json


def facebook_approved(client, bearer) -> bool:
    platforms = policy(client, bearer)["platforms"]
    return next(p for p in platforms if p["id"] == "facebook")["approved"]


def row_id(client, model) -> int:
    with client.application.app_context():
        [row] = get_db().scalars(select(model)).all()
        return int(row.id)


def test_an_approval_marks_its_platform_approved(client, auth, bearer):
    auth.login("admin")
    assert facebook_approved(client, bearer) is False
    client.post("/lists/approvals", data=APPROVAL)
    assert facebook_approved(client, bearer) is True
    assert policy(client, bearer)["approvals"][0]["reference"] == "minutes item 7"


def test_removing_an_approval_withdraws_it(client, auth, bearer):
    auth.login("admin")
    client.post("/lists/approvals", data=APPROVAL)
    before = policy(client, bearer)["version"]
    client.post("/lists/approvals", data={"remove_approval": row_id(client, Approval)})
    assert facebook_approved(client, bearer) is False
    assert policy(client, bearer)["version"] != before


def test_an_account_is_listed_with_its_officials(client, auth):
    auth.login("admin")
    client.post("/lists/approvals", data=ACCOUNT)
    page = client.get("/lists/approvals").get_data(as_text=True)
    assert "lincolnhigh" in page and "principal@usd999.org" in page


def test_removing_an_account_takes_it_off_the_list(client, auth):
    auth.login("admin")
    client.post("/lists/approvals", data=ACCOUNT)
    client.post("/lists/approvals", data={"remove_account": row_id(client, Account)})
    assert "lincolnhigh" not in client.get("/lists/approvals").get_data(as_text=True)
    with client.application.app_context():
        assert get_db().scalars(select(Account)).all() == []


def test_an_exemption_exempts_a_whole_mail_domain(client, auth, bearer):
    auth.login("admin")
    client.post("/lists/exemptions", data=EXEMPTION)
    [exemption] = policy(client, bearer)["exemptions"]
    assert exemption["user_domains"] == ["@va.usd999.org"]
    assert exemption["networks"] == ["10.77.0.0/16"]


def test_removing_an_exemption_ends_it(client, auth, bearer):
    auth.login("admin")
    client.post("/lists/exemptions", data=EXEMPTION)
    client.post("/lists/exemptions", data={"remove": row_id(client, ExemptionRow)})
    assert policy(client, bearer)["exemptions"] == []
    with client.application.app_context():
        assert get_db().scalars(select(ExemptionRow)).all() == []


def test_settings_change_the_compiled_settings(client, auth, bearer):
    auth.login("admin")
    client.post("/lists/settings", data={"continue_minutes": "20", "district_name": "USD 999"})
    settings = policy(client, bearer)["settings"]
    assert (settings["continue_minutes"], settings["district_name"]) == (20, "USD 999")


def test_the_settings_form_keeps_the_districts_own_lms_hosts(client, auth, bearer):
    auth.login("admin")
    form = {"district_name": "USD 999", "lms_hosts": "canvas = Canvas.USD999.org\n"}
    assert client.post("/lists/settings", data=form).status_code == 302
    assert policy(client, bearer)["settings"]["lms_hosts"] == {"canvas": ["canvas.usd999.org"]}
    page = client.get("/lists/settings").get_data(as_text=True)
    assert "canvas = canvas.usd999.org" in page, "shown as typed lines, so a save keeps it"
    bad = client.post("/lists/settings", data={"lms_hosts": "moodle = m.usd999.org"})
    assert "'moodle' is not an LMS" in html.unescape(bad.get_data(as_text=True))
    assert policy(client, bearer)["settings"]["lms_hosts"] == {"canvas": ["canvas.usd999.org"]}


def check(client, bearer, url: str) -> dict:
    return client.get("/api/v1/check", query_string={"url": url}, headers=bearer).json


def test_removing_a_district_platform_deletes_it(client, auth, bearer):
    auth.login("admin")
    client.post(
        "/lists/platforms/new",
        data={
            "id": "quizpal",
            "name": "QuizPal",
            "category": "content_service",
            "domains": "quizpal.example",
        },
    )
    assert check(client, bearer, "https://quizpal.example/")["platform_id"] == "quizpal"
    client.post("/lists/platforms/quizpal/remove")
    assert check(client, bearer, "https://quizpal.example/")["category"] == "unclassified"
    assert "quizpal" not in client.get("/lists/export.yaml").get_data(as_text=True)


UPLOAD = b"""\
approvals:
  - {platform: instagram, approved_on: 2026-05-12, reference: item 9}
settings:
  continue_minutes: 15
"""


def test_an_uploaded_file_is_previewed_then_applied(client, auth, bearer):
    auth.login("admin")
    preview = client.post(
        "/lists/import",
        data={"file": (io.BytesIO(UPLOAD), "board.yaml")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "added settings: continue_minutes" in preview
    assert policy(client, bearer)["settings"]["continue_minutes"] == 60, "a preview changes nothing"
    client.post(
        "/lists/import",
        data={"file": (io.BytesIO(UPLOAD), "board.yaml"), "apply": "yes"},
        content_type="multipart/form-data",
    )
    assert policy(client, bearer)["settings"]["continue_minutes"] == 15
    assert [a["platform"] for a in policy(client, bearer)["approvals"]] == ["instagram"]


def test_a_bad_uploaded_file_is_named_with_its_line(client, auth, bearer):
    auth.login("admin")
    response = client.post(
        "/lists/import",
        data={"file": (io.BytesIO(b"exemptions:\n  - {name: VA, user_domains: [x]}\n"), "va.yaml")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "va.yaml:2" in page and "user_domains" in page
