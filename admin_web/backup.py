"""``staffguard db backup PATH`` and ``staffguard db restore PATH``.

SQLite: the online backup API copies the database page by page inside one read transaction, so
the copy is the database at one moment even while the site goes on storing events; restoring
copies it back the same way, then upgrades the schema (a backup may predate an upgrade).

PostgreSQL: its own tools, ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists``
(from the ``postgresql-client`` package, the server's major version or newer). The connection
goes to them through the ``PG*`` environment, so a password never shows on a command line
(``ps``). A database URL whose ``options`` set a ``search_path`` is taken as one schema.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """A backup or restore that cannot go ahead, said so the admin can act on it."""


def register(db: argparse._SubParsersAction) -> None:
    """``db backup`` and ``db restore`` under ``staffguard db`` (admin_web.cli)."""
    save = db.add_parser("backup", help="copy the database to a file (safe while the site runs)")
    save.add_argument("path", help="the backup file to write")
    save.set_defaults(handler=_backup_command)
    load = db.add_parser("restore", help="replace the database with a backup (stop the site)")
    load.add_argument("path", help="a file written by 'staffguard db backup'")
    load.set_defaults(handler=_restore_command)


def backup(url: str, path: Path) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_file(parsed))
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    elif parsed.get_backend_name() == "postgresql":
        _run("pg_dump", ["--format=custom", "--no-owner", f"--file={path}", *_schema(parsed)], url)
    else:
        raise BackupError(f"no backup for {parsed.get_backend_name()} databases")
    path.chmod(0o600)  # it holds the warning log: staff names and the sites they were warned on


def restore(url: str, path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            _check_sqlite_backup(source, path)
            target = sqlite3.connect(_sqlite_file(parsed))
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    elif parsed.get_backend_name() == "postgresql":
        database = ["--dbname", parsed.database or "postgres"]
        _run("pg_restore", ["--clean", "--if-exists", "--no-owner", *database, str(path)], url)
    else:
        raise BackupError(f"no restore for {parsed.get_backend_name()} databases")
    from .db import make_engine, upgrade  # alembic: loaded only when it is needed

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _sqlite_file(parsed: URL) -> str:
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return parsed.database


def _check_sqlite_backup(source: sqlite3.Connection, path: Path) -> None:
    try:
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path}: not an SQLite database ({error})") from None
    if not {"alembic_version", "events"} <= tables:
        raise BackupError(f"{path}: not a StaffGuard database (no events table)")


def _schema(parsed: URL) -> list[str]:
    for option in str(parsed.query.get("options", "")).split():
        name, _, value = option.removeprefix("-c").partition("=")
        if name == "search_path" and value:
            return [f"--schema={value.split(',')[0].strip()}"]
    return []


def pg_environment(url: str) -> dict[str, str]:
    """libpq's environment for a SQLAlchemy URL (host, port, user, password, database)."""
    parsed = make_url(url)
    env = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
        "PGOPTIONS": parsed.query.get("options"),
        "PGSSLMODE": parsed.query.get("sslmode"),
    }
    return {key: urllib.parse.unquote(str(value)) for key, value in env.items() if value}


def _run(tool: str, arguments: list[str], url: str) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupError(
            f"{tool} is not installed: install PostgreSQL's client tools "
            "(Debian/Ubuntu: apt-get install postgresql-client), the server's version or newer"
        )
    env = {**os.environ, **pg_environment(url)}
    done = subprocess.run([program, *arguments], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")


def _backup_command(args: argparse.Namespace) -> int:
    return _command(args, backup, "backed up to")


def _restore_command(args: argparse.Namespace) -> int:
    return _command(args, restore, "restored from")


def _command(args: argparse.Namespace, action: Any, done: str) -> int:
    from .cli import _app

    url = _app().config["DATABASE_URL"]
    path = Path(args.path)
    try:
        action(url, path)
    except (BackupError, OSError, sqlite3.Error) as error:
        print(f"staffguard: {error}", file=sys.stderr)
        return 2
    print(f"database {url.split('@')[-1]} {done} {path}")
    return 0
