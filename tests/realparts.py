"""What the tests need from the machine: Debian's Chromium and the local PostgreSQL.

Import from here (``from realparts import CHROMIUM_ARGS``): conftest modules share one name.
"""

from __future__ import annotations

import os
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
