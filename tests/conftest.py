"""Shared fixtures: the real Chromium and the real PostgreSQL, which fail (not skip) on CI."""

from __future__ import annotations

import shutil
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
