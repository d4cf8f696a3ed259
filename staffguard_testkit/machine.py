"""What the tests and benches need from the machine: Debian's Chromium and the local PostgreSQL.

``tests/realparts.py`` adds ``missing()``, which fails on CI and skips elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout (the package is installed editable)
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
