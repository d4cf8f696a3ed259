"""The lists editor: the loader's validation, an audit trail and a new version per change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from admin_harness import make_app
from sqlalchemy import select

from admin_web.db import get_db
from admin_web.models import AuditRecord, LayerEntry


def version(client, bearer) -> str:
    return client.get("/api/v1/policy", headers=bearer).json["version"]


def test_an_admin_adds_a_platform_and_the_policy_follows(client, auth, bearer):
    auth.login("admin")
    before = version(client, bearer)
    response = client.post(
        "/lists/platforms/new",
        data={
            "id": "kidblog",
            "name": "Kidblog",
            "category": "social_media",
            "domains": "kidblog.org\nkidblog.com",
            "rules": "- activity: direct_message\n  paths: [/messages]\n",
            "note": "Class blogs with public comments",
        },
    )
    assert response.status_code == 302
    assert version(client, bearer) != before
    verdict = client.get(
        "/api/v1/check", query_string={"url": "https://kidblog.org/messages/1"}, headers=bearer
    ).json
    assert (verdict["platform_id"], verdict["action"]) == ("kidblog", "warn")
    with client.application.app_context():
        [record] = get_db().scalars(select(AuditRecord)).all()
    assert (record.actor, record.kind, record.target) == ("admin@usd999.org", "platform", "kidblog")
    assert record.before is None and record.after["domains"] == ["kidblog.org", "kidblog.com"]


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_stored(client, auth, bearer):
    auth.login("admin")
    before = version(client, bearer)
    response = client.post(
        "/lists/platforms/new",
        data={"id": "bad", "name": "Bad", "category": "social_media", "domains": "http://x/y"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "is not a domain name" in page
    assert 'value="Bad"' in page, "the admin's input is kept"
    assert version(client, bearer) == before
    with client.application.app_context():
        assert get_db().get(LayerEntry, "bad") is None


def test_a_domain_claimed_twice_in_the_district_lists_is_refused(client, auth):
    auth.login("admin")
    first = {"id": "kidblog", "name": "Kidblog", "category": "social_media", "domains": "kb.org"}
    assert client.post("/lists/platforms/new", data=first).status_code == 302
    second = {**first, "id": "kidblog2", "name": "Kidblog 2"}
    page = client.post("/lists/platforms/new", data=second).get_data(as_text=True)
    assert "kb.org" in page and "kidblog" in page
    with client.application.app_context():
        assert get_db().get(LayerEntry, "kidblog2") is None


def test_editing_a_shipped_platform_overrides_it(client, auth, bearer):
    auth.login("admin")
    page = client.get("/lists/platforms/videotube").get_data(as_text=True)
    assert "videotube.example" in page and "create_comment" in page
    form = {
        "name": "VideoTube",
        "category": "content_service",
        "domains": "videotube.example\nvt.example",
    }
    assert client.post("/lists/platforms/videotube", data=form).status_code == 302
    verdict = client.get(
        "/api/v1/check", query_string={"url": "https://vt.example/x"}, headers=bearer
    ).json
    assert (verdict["category"], verdict["action"]) == ("content_service", "allow")


def test_removing_a_shipped_platform_disables_it(client, auth, bearer):
    auth.login("admin")
    client.post("/lists/platforms/snapshare/remove")
    verdict = client.get(
        "/api/v1/check", query_string={"url": "https://snapshare.example/"}, headers=bearer
    ).json
    assert verdict["category"] == "unclassified"


def test_a_bad_setting_is_refused_with_its_reason(client, auth, bearer):
    auth.login("admin")
    response = client.post("/lists/settings", data={"continue_minutes": "0"})
    assert "continue_minutes" in response.get_data(as_text=True)
    assert client.get("/api/v1/policy", headers=bearer).json["settings"]["continue_minutes"] == 60


IMPORT = """\
platforms:
  - {id: videotube, category: content_service}
approvals:
  - {platform: instagram, approved_on: 2026-05-12, reference: item 9}
settings:
  continue_minutes: 15
"""


def test_import_shows_changes_then_applies_and_export_round_trips(client, auth, tmp_path):
    auth.login("admin")
    preview = client.post("/lists/import", data={"text": IMPORT}).get_data(as_text=True)
    assert "added platforms: videotube" in preview and "added settings: continue_minutes" in preview
    assert client.get("/lists/export.yaml").get_data(as_text=True).count("videotube") == 0
    client.post("/lists/import", data={"text": IMPORT, "apply": "yes"})
    exported = client.get("/lists/export.yaml").get_data(as_text=True)
    path = tmp_path / "district.yaml"
    path.write_text(exported)
    [base] = client.application.config["BASE_POLICY"]
    validate = subprocess.run(
        [sys.executable, "-m", "policy_lists.cli", "lists", "validate", base, str(path)],
        capture_output=True,
        text=True,
    )
    assert validate.returncode == 0, validate.stderr
    again = client.post("/lists/import", data={"text": exported}).get_data(as_text=True)
    assert "Nothing: the file matches the stored lists." in again


def test_a_bad_import_names_the_line_and_changes_nothing(client, auth):
    auth.login("admin")
    response = client.post(
        "/lists/import",
        data={"text": "approvals:\n  - {platform: facebok, approved_on: 2026-05-12}\n"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "import:2" in page and "facebok" in page


def test_new_base_lists_take_effect_on_start_and_a_clash_keeps_the_last_good_policy(
    app, client, auth, bearer, database_url, tmp_path, caplog
):
    auth.login("admin")
    approval = {"kind": "approval", "platform": "snapshare", "approved_on": "2026-05-12"}
    client.post("/lists/approvals", data=approval)
    before = version(client, bearer)
    [base] = app.config["BASE_POLICY"]
    release = tmp_path / "release.yaml"
    release.write_text(
        Path(base).read_text() + "  - {id: newgram, name: Newgram, category: social_media,"
        " domains: [newgram.example]}\n"
    )
    restarted = make_app(database_url, tmp_path, BASE_POLICY=[str(release)], SKIP_USERS=True)
    policy = restarted.test_client().get("/api/v1/policy", headers=bearer).json
    assert policy["version"] != before and "newgram" in {p["id"] for p in policy["platforms"]}

    without_snapshare = tmp_path / "without.yaml"
    without_snapshare.write_text(Path(base).read_text().replace("id: snapshare", "id: other"))
    again = make_app(database_url, tmp_path, BASE_POLICY=[str(without_snapshare)], SKIP_USERS=True)
    assert "keeping the last good policy version" in caplog.text
    assert again.test_client().get("/api/v1/policy", headers=bearer).json == policy
