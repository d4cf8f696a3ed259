"""``/metrics``: what monitoring alerts on, readable only from where it is allowed."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from admin_harness import make_app
from prometheus_client.parser import text_string_to_metric_families

from admin_web.auth import create_token
from admin_web.db import get_db
from admin_web.layer import layer_data, parse_import, replace_layer
from admin_web.versions import commit_change, current
from staffguard_testkit.events import event

PROXY_STATUS = sa.Table(  # the proxies' health reports (POST /api/v1/status): 0003, 0010
    "proxy_status",
    sa.MetaData(),
    sa.Column("reporter", sa.String(200), primary_key=True),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("spool_backlog", sa.BigInteger, nullable=False),
    sa.Column("log_failures", sa.BigInteger, nullable=False),
    sa.Column("last_failure", sa.String(500)),
    sa.Column("identity_keys", sa.Integer),
    sa.Column("identity_keys_fetched_at", sa.DateTime),
)


def samples(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


@pytest.fixture
def app(sqlite_url, tmp_path):
    return make_app(sqlite_url, tmp_path, METRICS_TOKEN="scrape-me")


def test_stored_events_are_counted_by_source_outcome_and_action_once(app):
    with app.app_context():
        bearer = {"Authorization": f"Bearer {create_token('proxy-1')}"}
        get_db().commit()
    batch = [
        event(ts="now", url="https://www.tiktok.com/@a"),
        event(ts="now", url="https://www.tiktok.com/@b"),
        {**event(ts="now", url="https://www.tiktok.com/@c"), "source": "extension"},
    ]
    batch[1].update(outcome="continued")
    batch.append(
        {
            **event(ts="now", url="https://www.tiktok.com/@d"),
            "action": "block",
            "outcome": "blocked",
        }
    )
    client = app.test_client()
    assert client.post("/api/v1/events", json=batch, headers=bearer).json["accepted"] == 4
    assert client.post("/api/v1/events", json=batch, headers=bearer).json["duplicates"] == 4

    seen = samples(client.get("/metrics"))
    ingested = "staffguard_events_ingested_total"
    assert seen[ingested, (("outcome", "shown"), ("source", "proxy"))] == 1
    assert seen[ingested, (("outcome", "continued"), ("source", "proxy"))] == 1
    assert seen[ingested, (("outcome", "shown"), ("source", "extension"))] == 1
    assert seen[ingested, (("outcome", "blocked"), ("source", "proxy"))] == 1
    assert seen["staffguard_decisions_total", (("action", "warn"),)] == 3
    assert seen["staffguard_decisions_total", (("action", "block"),)] == 1
    assert seen["process_resident_memory_bytes", ()] > 0


def test_each_proxy_reports_its_policy_age_backlog_and_last_report(app):
    with app.app_context():
        db = get_db()
        old = current(db).version
        data = parse_import(
            "district.yaml", "approvals:\n  - {platform: x, approved_on: 2026-05-12}\n"
        )
        before = layer_data(db)
        replace_layer(db, data)
        new = commit_change(db, "it@usd999.org", "import", "district.yaml", before, data).version
        assert new != old
        PROXY_STATUS.create(db.get_bind(), checkfirst=True)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        db.execute(
            PROXY_STATUS.insert(),
            [
                {"reporter": "proxy-a:8081", "received_at": now - dt.timedelta(minutes=20),
                 "policy_version": old, "spool_backlog": 1200, "log_failures": 3,
                 "identity_keys": 2, "identity_keys_fetched_at": now - dt.timedelta(minutes=25)},
                {"reporter": "proxy-b:8081", "received_at": now,
                 "policy_version": new, "spool_backlog": 0, "log_failures": 0,
                 "identity_keys": None, "identity_keys_fetched_at": None},  # an older proxy
            ],
        )  # fmt: skip
        db.commit()

    seen = samples(app.test_client().get("/metrics"))
    a, b = (("reporter", "proxy-a:8081"),), (("reporter", "proxy-b:8081"),)
    assert seen["staffguard_proxy_policy_current", a] == 0
    assert seen["staffguard_proxy_policy_current", b] == 1
    assert (
        seen["staffguard_proxy_policy_age_seconds", a]
        >= seen["staffguard_proxy_policy_age_seconds", b]
    )
    assert seen["staffguard_proxy_policy_age_seconds", b] == pytest.approx(
        seen["staffguard_policy_age_seconds", ()], abs=5
    )
    assert seen["staffguard_proxy_spool_backlog", a] == 1200
    assert seen["staffguard_proxy_log_failures", a] == 3
    assert 1190 < seen["staffguard_proxy_last_report_seconds", a] < 1300
    assert seen["staffguard_proxy_last_report_seconds", b] < 60
    assert seen["staffguard_proxy_identity_keys", a] == 2
    assert 1490 < seen["staffguard_proxy_identity_keys_age_seconds", a] < 1600
    # a proxy too old to report its keys has no such series, rather than a false 0
    assert ("staffguard_proxy_identity_keys", b) not in seen
    assert ("staffguard_proxy_identity_keys_age_seconds", b) not in seen


@pytest.mark.parametrize(
    ("environ", "headers", "allowed"),
    [
        ({}, {}, True),  # this machine
        ({"REMOTE_ADDR": "192.0.2.9"}, {}, False),
        ({"REMOTE_ADDR": "192.0.2.9"}, {"Authorization": "Bearer scrape-me"}, True),
        ({"REMOTE_ADDR": "192.0.2.9"}, {"Authorization": "Bearer guess"}, False),
        ({}, {"Authorization": "Bearer guess"}, False),
        # relayed by a reverse proxy the site was not told to trust: not "this machine"
        ({}, {"X-Forwarded-For": "198.51.100.7"}, False),
    ],
)
def test_who_may_read_the_metrics(app, environ, headers, allowed):
    response = app.test_client().get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == (200 if allowed else 403)


def test_a_monitoring_network_behind_the_trusted_proxy(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, TRUSTED_PROXIES=1, METRICS_NETWORKS="10.20.0.0/16")
    client = app.test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.20.1.5"}).status_code == 200
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.21.1.5"}).status_code == 403
    assert client.get("/metrics").status_code == 403, "the proxy itself is not the network"


def test_a_bad_network_setting_names_itself(sqlite_url, tmp_path):
    with pytest.raises(ValueError, match="STAFFGUARD_METRICS_NETWORKS"):
        make_app(sqlite_url, tmp_path, METRICS_NETWORKS="10.20.0.0/33")


def test_the_scrape_token_comes_from_a_file(sqlite_url, tmp_path, monkeypatch):
    secret = tmp_path / "metrics-token"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("STAFFGUARD_METRICS_TOKEN_FILE", str(secret))
    client = make_app(sqlite_url, tmp_path).test_client()
    remote = {"REMOTE_ADDR": "192.0.2.9"}
    ok = client.get(
        "/metrics", environ_base=remote, headers={"Authorization": "Bearer from-a-file"}
    )
    assert ok.status_code == 200


def test_a_resend_with_new_events_counts_only_the_new_ones(app):
    with app.app_context():
        bearer = {"Authorization": f"Bearer {create_token('proxy-1')}"}
        get_db().commit()
    client = app.test_client()
    first = [
        event(ts="now", url="https://www.tiktok.com/@a"),
        event(ts="now", url="https://www.tiktok.com/@b"),
    ]
    assert client.post("/api/v1/events", json=first, headers=bearer).json["accepted"] == 2
    resend = [*first, {**event(ts="now", url="https://www.tiktok.com/@c"), "outcome": "continued"}]
    assert client.post("/api/v1/events", json=resend, headers=bearer).json["accepted"] == 1
    seen = samples(client.get("/metrics"))
    assert (
        seen["staffguard_events_ingested_total", (("outcome", "shown"), ("source", "proxy"))] == 2
    )
    key = ("staffguard_events_ingested_total", (("outcome", "continued"), ("source", "proxy")))
    assert seen[key] == 1
    assert seen["staffguard_decisions_total", (("action", "warn"),)] == 3
