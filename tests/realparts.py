"""What the tests need from the machine: Debian's Chromium and the local PostgreSQL.

Import from here (``from realparts import CHROMIUM_ARGS``): conftest modules share one name.
The values live in ``staffguard_testkit.machine`` (the benches use them too).
"""

from __future__ import annotations

import os

import pytest

from staffguard_testkit.machine import CHROMIUM, CHROMIUM_ARGS, POSTGRES_URL, ROOT

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "POSTGRES_URL", "ROOT", "missing"]


def missing(what: str) -> None:
    """Fail on CI, where a missing install is a bug in .ci/run; skip on a developer's machine."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required on CI (CI=true); .ci/run must install it")
    pytest.skip(f"{what} is not available here")  # allowed-skip: never on CI, see above
