"""The HTTP API that proxies and extensions rely on (docs/design.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from admin_web.db import get_db
from admin_web.models import Event
from staffguard_testkit.events import event


def stored(app) -> int:
    with app.app_context():
        return get_db().scalar(select(func.count()).select_from(Event))


def test_the_api_refuses_requests_without_a_valid_token(client):
    assert client.get("/api/v1/policy").status_code == 401
    bad = {"Authorization": "Bearer sg_not-a-token"}
    assert client.post("/api/v1/events", json=[event()], headers=bad).status_code == 401


def test_policy_has_an_etag_and_answers_304_when_unchanged(client, bearer):
    first = client.get("/api/v1/policy", headers=bearer)
    assert first.status_code == 200
    policy = first.json
    assert policy["format"] == "staffguard-policy/1"
    assert first.headers["ETag"] == f'"{policy["version"]}"'
    assert policy["settings"]["permission_url"] == "http://localhost/requests/new"
    again = client.get("/api/v1/policy", headers={**bearer, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_check_gives_the_engine_verdict(client, bearer):
    verdict = client.get(
        "/api/v1/check",
        query_string={"url": "https://www.instagram.com/direct/inbox/"},
        headers=bearer,
    ).json
    assert (verdict["platform_id"], verdict["activity"], verdict["action"]) == (
        "instagram",
        "direct_message",
        "warn",
    )


def test_events_are_stored_once_and_without_query_strings(app, client, bearer):
    batch = [event(), event()]
    answer = client.post("/api/v1/events", json=batch, headers=bearer)
    assert answer.json == {"accepted": 2, "duplicates": 0}
    again = client.post("/api/v1/events", json=[*batch, event()], headers=bearer)
    assert again.json == {"accepted": 1, "duplicates": 2}
    assert stored(app) == 3
    with app.app_context():
        urls = set(get_db().scalars(select(Event.url)))
    assert urls == {"https://www.tiktok.com/messages"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"ts": "yesterday"}, "ts"),
        ({"ts": "2026-11-20T14:03:00"}, "time zone"),
        ({"action": "explode"}, "action"),
        ({"outcome": None}, "outcome"),
        ({"url": ""}, "url"),
        ({"user": 42}, "user"),
    ],
)
def test_a_bad_event_names_its_index_and_nothing_of_the_batch_is_stored(
    app, client, bearer, bad, message
):
    answer = client.post("/api/v1/events", json=[event(), event(**bad)], headers=bearer)
    assert answer.status_code == 400
    assert answer.json["index"] == 1 and message in answer.json["error"]
    assert stored(app) == 0


def test_batches_are_limited(client, bearer):
    answer = client.post("/api/v1/events", json=[event() for _ in range(1001)], headers=bearer)
    assert answer.status_code == 413


def test_unclassified_counts_replace_not_add(client, bearer):
    report = {
        "reporter": "proxy-1",
        "counts": [{"day": "2026-11-20", "domain": "kidblog.org", "count": 5}],
    }
    assert client.post("/api/v1/unclassified", json=report, headers=bearer).status_code == 200
    report["counts"][0]["count"] = 7
    client.post("/api/v1/unclassified", json=report, headers=bearer)
    client.post("/api/v1/unclassified", json=report, headers=bearer)
    from admin_web.log import top_unclassified

    with client.application.app_context():
        assert top_unclassified(get_db(), "2026-11-01") == [("kidblog.org", 7)]


def test_healthz_and_openapi(client):
    assert client.get("/healthz").json == {"status": "ok", "proxies": []}
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    # Every API route the site serves is described, with the methods it answers, and nothing
    # else is: the document cannot drift from the routes.
    served: dict[str, set[str]] = {}
    for rule in client.application.url_map.iter_rules():
        api = rule.rule.startswith("/api/v1/") or rule.rule in ("/healthz", "/proxy.pac")
        if api and rule.rule != "/api/v1/openapi.json":
            path = rule.rule.replace("<", "{").replace(">", "}")
            path = re.sub(r"\{[a-z_]+:([a-z_]+)\}", r"{\1}", path)
            served.setdefault(path, set()).update(m.lower() for m in rule.methods or ())
    described = {
        path: {m for m in item if m in ("get", "post", "put", "patch", "delete")}
        for path, item in spec["paths"].items()
        if path != "/api/v1/openapi.json"
    }
    assert described == {p: ms - {"head", "options"} for p, ms in served.items()}
    assert spec["security"] == [{"bearer": []}]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_openapi_event_schema_is_what_the_api_accepts(client, bearer):
    """An event with just the fields the document requires is stored; without any one of them,
    refused. The document describes the validation, not an idea of it."""
    spec = client.get("/api/v1/openapi.json").json
    schema = spec["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]
    items = schema["application/json"]["schema"]["items"]
    required = items["required"]
    assert set(required) <= set(items["properties"])
    minimal = {key: value for key, value in event().items() if key in required}
    assert client.post("/api/v1/events", json=[minimal], headers=bearer).status_code == 200
    for key in required:
        short = {k: v for k, v in event().items() if k in required and k != key}
        answer = client.post("/api/v1/events", json=[short], headers=bearer)
        assert answer.status_code == 400, key


def test_the_pac_file_sends_only_hosts_needing_a_decision_to_the_proxy(client):
    pac = client.get("/proxy.pac?proxy=proxy.usd999.org:8081").get_data(as_text=True)
    assert '"tiktok.com"' in pac and '"instagram.com"' in pac
    assert '"mathlab.example"' not in pac and '"wikipedia.org"' not in pac
    assert "PROXY proxy.usd999.org:8081; DIRECT" in pac
    assert '"staffguard.invalid"' in pac, "the extension's proxy check goes through the proxy"
