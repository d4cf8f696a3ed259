"""Running StaffGuard as a district does: the admin and proxy tests' harnesses, reused here."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

TESTS = Path(__file__).resolve().parent.parent
for part in ("admin", "proxy"):
    if str(TESTS / part) not in sys.path:
        sys.path.insert(0, str(TESTS / part))


@pytest.fixture(autouse=True)
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's secret key and files live in its own folder, never in the checkout."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("STAFFGUARD_INSTANCE", str(folder))
    return folder


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'staffguard.sqlite3'}"


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A database URL on a fresh schema of the real PostgreSQL, dropped afterwards."""
    schema = f"sg_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()
