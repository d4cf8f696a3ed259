"""Prometheus metrics at ``/metrics``: what an IT admin's monitoring alerts on.

Counters of stored events are kept in this process (a restart resets them, which Prometheus'
``rate()`` expects), counted from each answered ``POST /api/v1/events``: its ``accepted``
events, never its duplicates. Senders resend oldest first (the proxy's spool, the extension's
queue), so in a batch that mixes a resend with new events the new ones are its last
``accepted``. Everything about the proxies is read from their latest health reports
(``POST /api/v1/status``) at scrape time, so several site processes answer alike.

Who may read it: addresses in ``STAFFGUARD_METRICS_NETWORKS`` (default: this machine), or a
scraper with the bearer token in ``STAFFGUARD_METRICS_TOKEN_FILE`` (or ``_TOKEN``). A request
relayed by a reverse proxy the site was not told to trust (``X-Forwarded-For`` with
``STAFFGUARD_TRUSTED_PROXIES`` unset) is never taken as coming from this machine.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import math
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from policy_lists.vocabulary import ACTIONS, OUTCOMES, SOURCES

from .models import PolicyVersion, utcnow

bp = Blueprint("metrics", __name__)
LOCAL = "127.0.0.0/8,::1/128"
disable_created_metrics()  # the *_created series only double what a scraper stores


class Metrics:
    """One app's registry: stored-event counters, the proxies' reports, the process itself."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.registry = CollectorRegistry()
        self.ingested = Counter(
            "staffguard_events_ingested",
            "Events stored from proxies and extensions (duplicates not counted).",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "staffguard_decisions",
            "Stored events by the action the policy decided.",
            ["action"],
            registry=self.registry,
        )
        for source in SOURCES:
            for outcome in OUTCOMES:
                self.ingested.labels(source, outcome)
        for action in ACTIONS:
            self.decisions.labels(action)
        self.registry.register(Reports(sessions))
        ProcessCollector(registry=self.registry)

    def count(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.ingested.labels(row["source"], row["outcome"]).inc()
            self.decisions.labels(row["action"]).inc()


class Reports:
    """The current policy's age and each proxy's latest report, read when scraped."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as db:
            now = utcnow()
            published = dict(
                db.execute(
                    select(PolicyVersion.version, func.max(PolicyVersion.created_at)).group_by(
                        PolicyVersion.version
                    )
                ).all()
            )
            newest = db.scalar(select(func.max(PolicyVersion.created_at)))
            site = GaugeMetricFamily(
                "staffguard_policy_age_seconds", "Seconds since the site's policy version changed."
            )
            site.add_metric([], _seconds(now, newest))
            yield site
            yield from self._proxies(db, now, published, newest)

    @staticmethod
    def _proxies(
        db: Session, now: dt.datetime, published: dict[str, dt.datetime], newest: Any
    ) -> Iterator[Metric]:
        families = {
            "age": GaugeMetricFamily(
                "staffguard_proxy_policy_age_seconds",
                "Seconds since the site published the policy version a proxy runs.",
                labels=["reporter"],
            ),
            "current": GaugeMetricFamily(
                "staffguard_proxy_policy_current",
                "1 when a proxy runs the site's current policy version.",
                labels=["reporter"],
            ),
            "backlog": GaugeMetricFamily(
                "staffguard_proxy_spool_backlog",
                "Events waiting in a proxy's spool for the site.",
                labels=["reporter"],
            ),
            "failures": GaugeMetricFamily(
                "staffguard_proxy_log_failures",
                "Events a proxy could not write to its spool since it started.",
                labels=["reporter"],
            ),
            "seen": GaugeMetricFamily(
                "staffguard_proxy_last_report_seconds",
                "Seconds since a proxy's last health report.",
                labels=["reporter"],
            ),
            "keys": GaugeMetricFamily(
                "staffguard_proxy_identity_keys",
                "Device identity keys a proxy knows (0: enrolled devices' events name no one).",
                labels=["reporter"],
            ),
            "keys_age": GaugeMetricFamily(
                "staffguard_proxy_identity_keys_age_seconds",
                "Seconds since a proxy last fetched the device identity keys.",
                labels=["reporter"],
            ),
        }
        current = max(published, key=lambda version: published[version], default=None)
        for row in _reports(db):
            reporter = [row.reporter]
            version_time = published.get(row.policy_version)
            if version_time is not None:
                families["age"].add_metric(reporter, _seconds(now, version_time))
            families["current"].add_metric(reporter, float(row.policy_version == current))
            families["backlog"].add_metric(reporter, float(row.spool_backlog))
            families["failures"].add_metric(reporter, float(row.log_failures))
            families["seen"].add_metric(reporter, _seconds(now, row.received_at))
            if row.identity_keys is not None:  # None: a proxy too old to report them
                families["keys"].add_metric(reporter, float(row.identity_keys))
            if row.identity_keys_fetched_at is not None:
                families["keys_age"].add_metric(
                    reporter, _seconds(now, row.identity_keys_fetched_at)
                )
        yield from families.values()


def _reports(db: Session) -> list[Any]:
    """The proxies' latest reports; none before the health-report table exists."""
    if not inspect(db.get_bind()).has_table("proxy_status"):
        return []
    query = text(
        "SELECT reporter, received_at, policy_version, spool_backlog, log_failures, "
        "identity_keys, identity_keys_fetched_at FROM proxy_status ORDER BY reporter"
    )
    return list(db.execute(query).all())


def _seconds(now: dt.datetime, then: Any) -> float:
    if isinstance(then, str):  # SQLite through a text query
        then = dt.datetime.fromisoformat(then)
    return max((now - then).total_seconds(), 0.0) if then else math.nan


def init_app(app: Flask) -> None:
    app.config.setdefault("METRICS_NETWORKS", os.environ.get("STAFFGUARD_METRICS_NETWORKS", LOCAL))
    app.config.setdefault("METRICS_TOKEN", _token_from_environment())
    try:
        networks = [
            ipaddress.ip_network(item.strip())
            for item in str(app.config["METRICS_NETWORKS"]).split(",")
            if item.strip()
        ]
    except ValueError as error:
        raise ValueError(f"STAFFGUARD_METRICS_NETWORKS: {error}") from None
    app.config["METRICS_NETWORKS"] = networks
    app.extensions["staffguard_metrics"] = Metrics(app.extensions["staffguard_sessions"])
    app.register_blueprint(bp)


def _token_from_environment() -> str:
    path = os.environ.get("STAFFGUARD_METRICS_TOKEN_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get("STAFFGUARD_METRICS_TOKEN", "")


@bp.after_app_request
def count_stored(response: Response) -> Response:
    """Count the events an answered batch stored (the API checked every field already)."""
    if request.endpoint != "api.events" or response.status_code != 200:
        return response
    answer, batch = response.get_json(silent=True), request.get_json(silent=True)
    accepted = answer.get("accepted") if isinstance(answer, dict) else None
    if isinstance(accepted, int) and accepted > 0 and isinstance(batch, list):
        unique = list({_event_id(event): event for event in batch}.values())
        current_app.extensions["staffguard_metrics"].count(unique[len(unique) - accepted :])
    return response


def _event_id(event: dict[str, Any]) -> str:
    return str(uuid.UUID(str(event["id"])))


@bp.get("/metrics")
def metrics() -> Any:
    if not _may_read():
        return Response("metrics: not from this address without the token\n", 403)
    registry = current_app.extensions["staffguard_metrics"].registry
    return Response(generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST})


def _may_read() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    if "X-Forwarded-For" in request.headers and not current_app.config.get("TRUSTED_PROXIES"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in current_app.config["METRICS_NETWORKS"])
