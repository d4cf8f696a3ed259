"""``staffguard db backup`` / ``restore``: events, lists and requests survive the round trip, and
a backup taken while events pour in is one consistent moment."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from admin_harness import make_app
from realparts import missing
from sqlalchemy import func, select

from admin_web.auth import create_token
from admin_web.db import get_db
from admin_web.models import Event, PermissionRequest
from staffguard_testkit.events import event

STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))


def run(args: list[str], tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STAFFGUARD_INSTANCE": str(tmp_path / "instance")}
    env["STAFFGUARD_DATABASE_URL"] = url
    return subprocess.run(
        [STAFFGUARD, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )


def post(client, bearer: dict[str, str], *paths: str) -> set[str]:
    batch = [
        event(
            ts="now",
            user="teacher@usd999.org",
            url=f"https://www.tiktok.com/{path}",
            activity="browse",
        )
        for path in paths
    ]
    assert client.post("/api/v1/events", json=batch, headers=bearer).status_code == 200
    return {item["id"] for item in batch}


def stored(app) -> tuple[set[str], list[str]]:
    with app.app_context():
        db = get_db()
        events = set(db.scalars(select(Event.id)))
        requests = list(db.scalars(select(PermissionRequest.account_name)))
        db.rollback()
    return events, requests


def add_request(app, account: str) -> None:
    with app.app_context():
        get_db().add(
            PermissionRequest(
                key=uuid.uuid4().hex,
                requester="coach@usd999.org",
                platform_id="instagram",
                purpose="Game schedules for parents",
                audience="parents",
                account_name=account,
            )
        )
        get_db().commit()


def import_lists(tmp_path: Path, url: str, yaml: str) -> None:
    path = tmp_path / "district.yaml"
    path.write_text(yaml)
    done = run(["lists", "import", str(path), "--apply"], tmp_path, url)
    assert done.returncode == 0, done.stderr


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        missing("pg_dump and pg_restore (Debian: postgresql-client)")
    return str(request.getfixturevalue("postgres_schema"))


def test_a_restore_brings_back_events_lists_and_requests(database, tmp_path):
    app = make_app(database, tmp_path)
    with app.app_context():
        bearer = {"Authorization": f"Bearer {create_token('proxy-1')}"}
        get_db().commit()
    client = app.test_client()
    kept = post(client, bearer, "@a", "@b", "@c")
    add_request(app, "lincolnhigh_athletics")
    import_lists(
        tmp_path, database, "approvals:\n  - {platform: facebook, approved_on: 2026-05-12}\n"
    )

    backup = tmp_path / "backups" / "staffguard.backup"
    backup.parent.mkdir()
    done = run(["db", "backup", str(backup)], tmp_path, database)
    assert done.returncode == 0, done.stderr
    assert backup.stat().st_size > 0 and backup.stat().st_mode & 0o777 == 0o600

    # what happens after the backup: more events, a removed request, other lists
    later = post(client, bearer, "@d")
    with app.app_context():
        get_db().execute(PermissionRequest.__table__.delete())
        get_db().commit()
    import_lists(tmp_path, database, "approvals:\n  - {platform: x, approved_on: 2026-06-01}\n")
    app.extensions["staffguard_engine"].dispose()  # the site is stopped for a restore

    done = run(["db", "restore", str(backup)], tmp_path, database)
    assert done.returncode == 0, done.stderr

    events, requests = stored(make_app(database, tmp_path, SKIP_USERS=True))
    assert events == kept and not events & later
    assert requests == ["lincolnhigh_athletics"]
    exported = run(["lists", "export"], tmp_path, database).stdout
    assert "platform: facebook" in exported and "platform: x\n" not in exported


def test_a_backup_while_events_pour_in_is_consistent(sqlite_url, tmp_path):
    """Events and their dashboard counts are written in one transaction; a consistent copy
    holds exactly as many counted events as stored ones."""
    app = make_app(sqlite_url, tmp_path)
    with app.app_context():
        bearer = {"Authorization": f"Bearer {create_token('proxy-1')}"}
        get_db().commit()
    stop = threading.Event()

    def send() -> None:
        client = app.test_client()
        while not stop.is_set():
            post(client, bearer, *(f"@{n}" for n in range(50)))

    sender = threading.Thread(target=send)
    sender.start()
    try:
        copies = []
        for n in range(3):
            copy = tmp_path / f"copy{n}.sqlite3"
            done = run(["db", "backup", str(copy)], tmp_path, sqlite_url)
            assert done.returncode == 0, done.stderr
            copies.append(copy)
    finally:
        stop.set()
        sender.join(30)
    counts = []
    for copy in copies:
        with sqlite3.connect(copy) as db:
            events = db.execute("SELECT count(*) FROM events").fetchone()[0]
            counted = db.execute("SELECT coalesce(sum(count), 0) FROM event_hours").fetchone()[0]
        assert events == counted
        counts.append(events)
    assert counts[-1] > 0, "the copies were taken while events were arriving"
    with app.app_context():
        assert get_db().scalar(select(func.count()).select_from(Event)) >= counts[-1]


def test_restore_refuses_a_file_that_is_not_a_staffguard_backup(sqlite_url, tmp_path):
    make_app(sqlite_url, tmp_path)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    refused = run(["db", "restore", str(bogus)], tmp_path, sqlite_url)
    assert refused.returncode == 2 and "not an SQLite database" in refused.stderr
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    refused = run(["db", "restore", str(empty)], tmp_path, sqlite_url)
    assert refused.returncode == 2 and "not a StaffGuard database" in refused.stderr
