"""Shared fixtures: the real Chromium and the real PostgreSQL, which fail (not skip) on CI."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from realparts import CHROMIUM, CHROMIUM_ARGS, POSTGRES_URL, ROOT, missing

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "POSTGRES_URL", "ROOT", "missing"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        missing(f"Debian's Chromium at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="session")
def postgres_url() -> str:
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # any failure to reach the server means "not available"
        missing(f"PostgreSQL at {POSTGRES_URL} ({error.__class__.__name__})")
    return POSTGRES_URL


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A database URL on a fresh schema of the real PostgreSQL, dropped afterwards."""
    import sqlalchemy

    schema = f"sg_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()
