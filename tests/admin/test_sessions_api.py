"""Address-to-user sessions from lab logon scripts: stored with expiry, renewed, ended, and
polled by proxies with ``since`` so they learn of logoffs too."""

from __future__ import annotations

import datetime as dt

from test_scopes import make_token

from admin_web.db import get_db
from admin_web.models import ClientSession


def test_a_session_is_stored_renewed_and_ended(app, client):
    logon = make_token(app, "lab-logon", "session")
    proxy = make_token(app, "proxy-1", "proxy")
    started = client.post(
        "/api/v1/sessions",
        json={"client": "10.1.2.3", "user": " Teacher@USD999.org ", "minutes": 30},
        headers=logon,
    )
    assert started.status_code == 200 and started.json["user"] == "teacher@usd999.org"
    first = client.get("/api/v1/sessions", headers=proxy).json
    assert [(s["client"], s["user"]) for s in first["sessions"]] == [
        ("10.1.2.3", "teacher@usd999.org")
    ]
    expires = dt.datetime.fromisoformat(first["sessions"][0]["expires"].rstrip("Z"))
    assert dt.timedelta(minutes=29) < expires - dt.datetime.now(dt.UTC).replace(tzinfo=None)

    # nothing changed since: an empty answer; a new user at that address replaces the old one
    assert (
        client.get(f"/api/v1/sessions?since={first['now']}", headers=proxy).json["sessions"] == []
    )
    client.post(
        "/api/v1/sessions", json={"client": "10.1.2.3", "user": "b@usd999.org"}, headers=logon
    )
    changed = client.get(f"/api/v1/sessions?since={first['now']}", headers=proxy).json
    assert [s["user"] for s in changed["sessions"]] == ["b@usd999.org"]

    ended = client.delete("/api/v1/sessions", json={"client": "10.1.2.3"}, headers=logon)
    assert ended.status_code == 204
    after = client.get(f"/api/v1/sessions?since={changed['now']}", headers=proxy).json
    (gone,) = after["sessions"]
    assert gone["client"] == "10.1.2.3" and gone["expires"] <= after["now"]
    assert client.get("/api/v1/sessions", headers=proxy).json["sessions"] == []


def test_expired_sessions_are_not_handed_out(app, client):
    proxy = make_token(app, "proxy-1", "proxy")
    client.post(
        "/api/v1/sessions", json={"client": "10.0.0.1", "user": "a@usd999.org"}, headers=proxy
    )
    with app.app_context():
        row = get_db().get(ClientSession, "10.0.0.1")
        row.expires_at = dt.datetime(2020, 1, 1)
        get_db().commit()
    assert client.get("/api/v1/sessions", headers=proxy).json["sessions"] == []


def test_bad_sessions_are_refused_with_a_reason(app, client):
    logon = make_token(app, "lab-logon", "session")
    for body, words in [
        ({"client": "not-an-ip", "user": "a@b.org"}, "not an IP"),
        ({"client": "10.0.0.1", "user": ""}, "user must be"),
        ({"client": "10.0.0.1", "user": "a@b.org", "minutes": 0}, "minutes must be from"),
        ({"client": "10.0.0.1", "user": "a@b.org", "minutes": 99999}, "minutes must be from"),
        ({"client": "10.0.0.1", "user": "a@b.org", "minutes": "60"}, "whole number"),
        ({"client": ["10.0.0.1"], "user": "a@b.org"}, "IP address"),
        ("[]", "IP address"),
    ]:
        answer = client.post("/api/v1/sessions", json=body, headers=logon)
        assert answer.status_code == 400 and words in answer.json["error"], body
    assert client.delete("/api/v1/sessions?client=x", headers=logon).status_code == 400
    proxy = make_token(app, "proxy-1", "proxy")
    assert client.get("/api/v1/sessions?since=yesterday", headers=proxy).status_code == 400
    # the address is stored in its one canonical spelling
    client.post(
        "/api/v1/sessions", json={"client": "2001:DB8::0001", "user": "a@b.org"}, headers=logon
    )
    assert (
        client.get("/api/v1/sessions", headers=proxy).json["sessions"][0]["client"] == "2001:db8::1"
    )


def test_the_openapi_document_lists_the_identity_calls(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/events"])
    assert {"get", "post", "delete"} <= set(paths["/api/v1/sessions"])
