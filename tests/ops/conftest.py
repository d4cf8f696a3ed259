"""Running StaffGuard as a district does: the admin and proxy tests' harnesses, reused here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

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
