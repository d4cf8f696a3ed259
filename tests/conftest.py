"""Shared fixtures: the real Chromium and the real PostgreSQL, which fail (not skip) on CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
POSTGRES_URL = os.environ.get(
    "STAFFGUARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Flags that keep Chromium off the network on this closed machine (see README, "Tests").
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing(what: str) -> None:
    """Fail on CI, where a missing install is a bug in .ci/run; skip on a developer's machine."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required on CI (CI=true); .ci/run must install it")
    pytest.skip(f"{what} is not available here")  # allowed-skip: never on CI, see above


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
