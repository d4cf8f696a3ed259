"""The admin site's tables. The schema changes only through migrations (``migrations/``).

The district's lists are stored as its *layer* over the shipped defaults (the same shape as a
district's YAML directory), so a new StaffGuard release brings new shipped lists while the
district's own entries, approvals and settings stay as they were.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))  # admin | approver | auditor
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # A session cookie names the generation it was issued in; signing out, disabling the
    # account or changing its role moves the generation on, which ends every older cookie.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    # Set by an admin's password reset: the one-time password only leads to choosing a new one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginFailure(Base):
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    __table_args__ = (Index("ix_login_failures_name_address", "name", "address"),)


class Token(Base):
    """A bearer token for a proxy, a device, a logon script or an integration; only its
    SHA-256 is stored. ``scope`` says which calls it may make (``auth.SCOPES``); a ``device``
    token is bound to one ``user`` and may report events for that user only."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(20), default="proxy")
    user: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # An enrolled device's name as the extension gave it (None: made by hand or not a device).
    device: Mapped[str | None] = mapped_column(String(200))


class IdentityKey(Base):
    """An Ed25519 key that signs device identity assertions (``admin_web.identity``).

    The newest key signs; a key replaced by a newer one stays published to the proxies until
    ``retired_at`` plus the grace period, so assertions it signed stay good until they expire.
    """

    __tablename__ = "identity_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key: Mapped[str] = mapped_column(Text)  # raw 32 bytes, base64url
    public_key: Mapped[str] = mapped_column(String(100))  # raw 32 bytes, base64url (JWK "x")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class EnrollmentFailure(Base):
    """A refused device enrollment, for the per-address throttle."""

    __tablename__ = "enrollment_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_enrollment_failures_address_at", "address", "at"),)


class LayerEntry(Base):
    """One platform entry of the district's layer, as its YAML mapping."""

    __tablename__ = "platform_entries"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Approval(Base):
    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(100))
    approved_on: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(500), default="")


class Account(Base):
    """An approved account (IIBGC steps 1-2): who sponsors it and which officials hold admin."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(100))
    handle: Mapped[str] = mapped_column(String(200))
    sponsor: Mapped[str] = mapped_column(String(200))
    officials: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ExemptionRow(Base):
    __tablename__ = "exemptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    users: Mapped[list[Any]] = mapped_column(JSON, default=list)
    networks: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class PolicyVersion(Base):
    """Every compiled policy the site has served; the newest is in force."""

    __tablename__ = "policy_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    compiled: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditRecord(Base):
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)


class PermissionRequest(Base):
    __tablename__ = "permission_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # the requester's status link
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    requester: Mapped[str] = mapped_column(String(200))
    platform_id: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(500))
    account_name: Mapped[str] = mapped_column(String(200))
    officials: Mapped[list[Any]] = mapped_column(JSON, default=list)
    costs: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{item, amount}]
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    address: Mapped[str | None] = mapped_column(String(64))  # for the per-address rate limit
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_permission_requests_address_created", "address", "created_at"),)


class Event(Base):
    """One warning shown, continued, gone back from or blocked (docs/design.md's event fields)."""

    __tablename__ = "events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ts: Mapped[dt.datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(20))
    user: Mapped[str | None] = mapped_column(String(200))
    client: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2048))
    host: Mapped[str] = mapped_column(String(255))
    platform_id: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(30))
    activity: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(10))
    justification: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    policy_ref: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reporter: Mapped[str | None] = mapped_column(String(200))  # the name of the token that sent it

    __table_args__ = (
        Index("ix_events_ts_id", "ts", "id"),
        Index("ix_events_user_ts", "user", "ts"),
        Index("ix_events_client_ts", "client", "ts"),
        Index("ix_events_platform_ts", "platform_id", "ts"),
        Index("ix_events_category_ts", "category", "ts"),
        Index("ix_events_action_ts", "action", "ts"),
        Index("ix_events_outcome_ts", "outcome", "ts"),
        Index("ix_events_activity_ts", "activity", "ts"),
    )


class EventHour(Base):
    """Events per UTC hour, platform and outcome, kept as events arrive: the dashboard and the
    board report read these instead of scanning a log of millions, and group the hours into
    the district's days when they read (``rollups``)."""

    __tablename__ = "event_hours"
    __table_args__ = ({"sqlite_with_rowid": False},)  # rows in the key b-tree: a range is one scan
    hour: Mapped[str] = mapped_column(String(13), primary_key=True)  # "2026-11-30 06", UTC
    platform_id: Mapped[str] = mapped_column(String(100), primary_key=True)  # '' unclassified
    outcome: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class UserDay(Base):
    """Warnings shown to (or blocked for) each user per UTC day, for "repeat users": the whole
    UTC days of a range come from here, its partial days at both ends from the log itself
    (``rollups.repeat_users``), so the figure covers exactly the district's days."""

    __tablename__ = "user_days"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    user: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class ProxyStatus(Base):
    """The latest health report of each proxy (``POST /api/v1/status``)."""

    __tablename__ = "proxy_status"
    reporter: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    policy_version: Mapped[str] = mapped_column(String(64), default="")
    spool_backlog: Mapped[int] = mapped_column(BigInteger, default=0)
    log_failures: Mapped[int] = mapped_column(BigInteger, default=0)
    last_failure: Mapped[str | None] = mapped_column(String(500))
    # The device identity keys the proxy knows (None: a proxy too old to say) and when it last
    # fetched them: with none, enrolled devices' events name no user.
    identity_keys: Mapped[int | None] = mapped_column(Integer)
    identity_keys_fetched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ClientSession(Base):
    """Who uses a client address until when, as a logon script said (``/api/v1/sessions``).

    A logoff sets ``expires_at`` to now rather than deleting the row, so proxies polling with
    ``since`` learn of it; ``changed_at`` orders that polling.
    """

    __tablename__ = "client_sessions"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    reporter: Mapped[str] = mapped_column(String(200), default="")


class Unclassified(Base):
    """Per-day visit counts of domains no list knows, as each proxy last reported them."""

    __tablename__ = "unclassified"
    reporter: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class Feed(Base):
    """A category feed (``policy_lists.feeds``) and its last good copy, swapped in whole.

    ``domains`` holds the copy in force (sorted, newline-joined); a failed or refused fetch
    leaves it as it was and says why in ``status`` and ``message``.
    """

    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(String(2000), default="")  # "" for an uploaded file
    format: Mapped[str] = mapped_column(String(30))
    member: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(30))
    schedule_hours: Mapped[int] = mapped_column(Integer, default=24)  # 0: fetched by hand only
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    definition: Mapped[str | None] = mapped_column(String(100))  # a shipped definition's id
    license: Mapped[str] = mapped_column(String(500), default="")
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="never")  # ok|unchanged|failed
    message: Mapped[str] = mapped_column(Text, default="")
    fetched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # of the last good copy
    domain_count: Mapped[int] = mapped_column(Integer, default=0)
    ignored: Mapped[int] = mapped_column(Integer, default=0)
    invalid: Mapped[int] = mapped_column(Integer, default=0)
    domains: Mapped[str] = mapped_column(Text, default="")


__all__ = [
    "Account",
    "Approval",
    "AuditRecord",
    "Base",
    "ClientSession",
    "EnrollmentFailure",
    "Event",
    "EventHour",
    "ExemptionRow",
    "Feed",
    "IdentityKey",
    "LayerEntry",
    "LoginFailure",
    "PermissionRequest",
    "PolicyVersion",
    "ProxyStatus",
    "Setting",
    "Token",
    "Unclassified",
    "User",
    "UserDay",
]
