"""Scoped tokens: each refused outside its scope, device tokens bound to their user, the
reporter of each event stored and shown, and the events feed for integrations."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from test_admin_cli import run
from test_api import event

from admin_web.auth import create_token
from admin_web.db import get_db
from admin_web.models import Event, Token

CALLS = {
    "policy": ("get", "/api/v1/policy", None),
    "check": ("get", "/api/v1/check?url=https://x.com/", None),
    "events": ("post", "/api/v1/events", []),
    "read": ("get", "/api/v1/events?since=2026-01-01T00:00:00Z", None),
    "unclassified": ("post", "/api/v1/unclassified", {"reporter": "p:1", "counts": []}),
    "status": (
        "post",
        "/api/v1/status",
        {"reporter": "p:1", "policy_version": "v", "spool_backlog": 0, "log_failures": 0},
    ),
    "sessions_read": ("get", "/api/v1/sessions", None),
    "sessions_write": ("post", "/api/v1/sessions", {"client": "10.0.0.9", "user": "a@b.org"}),
    "sessions_end": ("delete", "/api/v1/sessions?client=10.0.0.9", None),
}
ALLOWED = {
    "proxy": {
        "policy", "check", "events", "unclassified", "status", "sessions_read", "sessions_write",
        "sessions_end",
    },
    "device": {"policy", "check", "events"},
    "session": {"sessions_write", "sessions_end"},
    "read": {"read"},
}  # fmt: skip


def make_token(app, name: str, scope: str, user: str | None = None) -> dict[str, str]:
    with app.app_context():
        value = create_token(name, scope, user)
        get_db().commit()
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.parametrize("scope", sorted(ALLOWED))
def test_every_call_outside_a_tokens_scope_is_refused(app, client, scope):
    headers = make_token(app, f"t-{scope}", scope, "me@usd999.org" if scope == "device" else None)
    for call, (method, path, body) in CALLS.items():
        answer = getattr(client, method)(path, json=body, headers=headers)
        if call in ALLOWED[scope]:
            assert answer.status_code < 400, (scope, call, answer.status_code, answer.data)
        else:
            assert answer.status_code == 403, (scope, call, answer.status_code)
            assert scope in answer.json["error"]


def test_a_device_token_reports_only_its_own_users_events(app, client):
    headers = make_token(app, "cb-jdoe", "device", "jdoe@usd999.org")
    mine = event(user="JDoe@usd999.org", source="extension")
    other = event(user="principal@usd999.org", source="extension")
    refused = client.post("/api/v1/events", json=[mine, other], headers=headers)
    assert refused.status_code == 400 and refused.json["index"] == 1
    nobody = client.post("/api/v1/events", json=[event(user=None)], headers=headers)
    assert nobody.status_code == 400 and nobody.json["index"] == 0
    assert client.post("/api/v1/events", json=[mine], headers=headers).json["accepted"] == 1
    with app.app_context():
        assert get_db().get(Event, mine["id"]).reporter == "cb-jdoe"
        assert get_db().get(Event, other["id"]) is None


def test_the_reporter_is_the_token_not_what_the_sender_claims(app, client, auth):
    headers = make_token(app, "proxy-east", "proxy")
    sent = event(reporter="someone-else")
    assert client.post("/api/v1/events", json=[sent], headers=headers).status_code == 200
    client.post("/api/v1/events", json=[event()], headers=make_token(app, "proxy-west", "proxy"))
    auth.login("auditor")
    assert "proxy-east" in client.get(f"/log/{sent['id']}").get_data(as_text=True)
    page = client.get("/log?reporter=proxy-east").get_data(as_text=True)
    assert page.count('href="/log/') == 1 and sent["id"] in page
    csv = client.get("/log.csv?reporter=proxy-west").get_data(as_text=True)
    assert csv.splitlines()[0].endswith(",reporter") and csv.count("proxy-west") == 1


def test_a_device_token_needs_a_user_and_others_take_none(app):
    with app.app_context():
        with pytest.raises(ValueError, match="device token needs"):
            create_token("d", "device")
        with pytest.raises(ValueError, match="device token needs"):
            create_token("p", "proxy", "x@usd999.org")
        with pytest.raises(ValueError, match="scope must be"):
            create_token("p", "admin")


def test_the_read_feed_pages_by_time_and_id_without_repeats(app, client):
    proxy = make_token(app, "proxy-1", "proxy")
    reader = make_token(app, "siem", "read")
    sent = [event(ts=f"2026-11-20T14:0{i % 3}:00Z", id=str(uuid.uuid4())) for i in range(7)]
    sent.append(event(ts="2026-11-19T00:00:00Z"))  # before since
    assert client.post("/api/v1/events", json=sent, headers=proxy).json["accepted"] == 8
    seen, cursor = [], None
    for _ in range(10):
        query = {
            "since": "2026-11-20T00:00:00Z",
            "limit": 3,
            **({"after": cursor} if cursor else {}),
        }
        page = client.get("/api/v1/events", query_string=query, headers=reader).json
        seen += page["events"]
        cursor = page["next"]
        if cursor is None:
            break
    assert sorted(e["id"] for e in seen) == sorted(e["id"] for e in sent[:7])
    assert [e["ts"] for e in seen] == sorted(e["ts"] for e in seen)
    assert seen[0]["reporter"] == "proxy-1" and "?" not in seen[0]["url"]
    assert client.get("/api/v1/events?since=yesterday", headers=reader).status_code == 400
    too_many = client.get("/api/v1/events?since=2026-11-20T00:00:00Z&limit=99999", headers=reader)
    assert too_many.status_code == 200 and len(too_many.json["events"]) == 7


def test_tokens_page_and_cli_create_scoped_tokens(app, client, auth, tmp_path):
    auth.login("admin")
    page = client.post(
        "/tokens", data={"name": "lab-logon", "scope": "session"}, follow_redirects=True
    )
    assert "sg_" in page.get_data(as_text=True)
    client.post("/tokens", data={"name": "cb", "scope": "device", "user": "t@usd999.org"})
    listing = client.get("/users").get_data(as_text=True)
    assert "session" in listing and "device (t@usd999.org)" in listing
    with app.app_context():
        assert get_db().query(Token).filter_by(name="lab-logon").one().scope == "session"

    made = run(["tokens", "create", "siem", "--scope", "read"], tmp_path)
    assert made.returncode == 0 and made.stdout.splitlines()[-1].startswith("sg_")
    assert run(["tokens", "create", "cb", "--scope", "device"], tmp_path).returncode == 2
    bound = run(["tokens", "create", "cb", "--scope", "device", "--user", "t@usd999.org"], tmp_path)
    assert bound.returncode == 0
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        rows = dict(db.execute("SELECT name, scope FROM tokens").fetchall())
    assert rows == {"siem": "read", "cb": "device"}
