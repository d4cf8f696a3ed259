"""Tables for the rest of IIBGC: training and acknowledgments, the staff roster, reminders sent,
and the sponsors' yearly reviews of approved accounts (migration ``0005_iibgc``).

They share ``models.Base`` so one metadata describes the whole schema, but live in their own
module: the register's older tables stay as they were.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow


class TrainingSection(Base):
    """A section the district adds to the training page (procedures, examples, contacts)."""

    __tablename__ = "training_sections"
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Acknowledgment(Base):
    """One staff member's acknowledgment of the training for one period (a school year)."""

    __tablename__ = "acknowledgments"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    period: Mapped[str] = mapped_column(String(20))  # "2026-27"
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    policy_revision: Mapped[str] = mapped_column(String(100))
    # How it was made (VIAS); "" for those recorded before StaffGuard kept it (migration 0009).
    via: Mapped[str] = mapped_column(String(20), default="", server_default="")
    __table_args__ = (UniqueConstraint("email", "period", name="uq_acknowledgments_email_period"),)


class RosterEntry(Base):
    """A staff member from the district's roster import: where they work and what they do."""

    __tablename__ = "staff_roster"
    email: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    building: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(100), default="")


class Reminder(Base):
    """A training reminder: sent by SMTP, or kept in the outbox when no mail server is set."""

    __tablename__ = "reminders"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), index=True)
    period: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20))  # sent | outbox | failed
    detail: Mapped[str] = mapped_column(Text, default="")


class AccountReview(Base):
    """A sponsor's yearly review of an approved account (IIBGC steps 2 and 4)."""

    __tablename__ = "account_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reviewer: Mapped[str] = mapped_column(String(200))
    officials_have_access: Mapped[bool] = mapped_column(Boolean)
    monitored: Mapped[bool] = mapped_column(Boolean)
    one_way_only: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")


class IibgcSetting(Base):
    """Training settings (email domains, buildings by domain, period start, policy revision),
    kept apart from the compiled policy's settings: they never change a verdict."""

    __tablename__ = "iibgc_settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


__all__ = [
    "AccountReview",
    "Acknowledgment",
    "IibgcSetting",
    "Reminder",
    "RosterEntry",
    "TrainingSection",
]
