"""Training reminders by SMTP, configured from the environment.

``STAFFGUARD_SMTP_HOST`` (unset: reminders wait in the outbox, shown on the training page),
``STAFFGUARD_SMTP_PORT`` (25), ``STAFFGUARD_SMTP_FROM``, ``STAFFGUARD_SMTP_USER`` and
``STAFFGUARD_SMTP_PASSWORD`` (optional login), ``STAFFGUARD_SMTP_STARTTLS=1``. The app config
keys of the same name without the prefix override them (tests).
"""

from __future__ import annotations

import logging
import os
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app

log = logging.getLogger("staffguard.admin")


def smtp_config() -> dict[str, Any]:
    def get(key: str, default: str = "") -> str:
        value = current_app.config.get(f"SMTP_{key}") or os.environ.get(f"STAFFGUARD_SMTP_{key}")
        return str(value) if value else default

    return {
        "host": get("HOST"),
        "port": int(get("PORT", "25")),
        "sender": get("FROM", "staffguard@localhost"),
        "user": get("USER"),
        "password": get("PASSWORD"),
        "starttls": get("STARTTLS") == "1",
    }


def send_all(messages: list[tuple[str, str, str]]) -> dict[str, str]:
    """Send (to, subject, body) messages over one connection; each address's status:
    'sent', 'outbox' (no server configured) or 'failed: …' (logged loudly)."""
    config = smtp_config()
    if not config["host"]:
        return {to: "outbox" for to, _, _ in messages}
    results: dict[str, str] = {}
    try:
        with smtplib.SMTP(config["host"], config["port"], timeout=30) as smtp:
            if config["starttls"]:
                smtp.starttls()
            if config["user"]:
                smtp.login(config["user"], config["password"])
            for to, subject, body in messages:
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = config["sender"], to, subject
                message.set_content(body)
                try:
                    smtp.send_message(message)
                    results[to] = "sent"
                except smtplib.SMTPException as error:
                    log.error("training reminder to %s failed: %s", to, error)
                    results[to] = f"failed: {error}"
    except (OSError, smtplib.SMTPException) as error:
        log.error("the mail server %s:%s failed: %s", config["host"], config["port"], error)
        for to, _, _ in messages:
            results.setdefault(to, f"failed: {error}")
    return results
