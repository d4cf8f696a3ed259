"""Fixtures for the proxy's end-to-end tests (the processes themselves are in proxy_harness)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from addon_cases import DISTRICT
from proxy_harness import FakeAdmin, Proxy, running_addon

from proxy_addons.addon import StaffGuard
from staffguard_testkit.upstream import Upstream


@pytest.fixture
def guard(tmp_path: Path) -> Iterator[StaffGuard]:
    """The addon in mitmproxy's test harness, on the district list of ``addon_cases``."""
    with running_addon(tmp_path, DISTRICT) as addon:
        yield addon


@pytest.fixture
def admin() -> Iterator[FakeAdmin]:
    """The admin site's proxy-facing API (``proxy_harness.FakeAdmin``), on a free port."""
    server = FakeAdmin().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    server = Upstream(tmp_path_factory.mktemp("upstream"))
    yield server
    server.close()


@pytest.fixture
def proxy_factory(tmp_path: Path, upstream: Upstream) -> Iterator:
    made: list[Proxy] = []

    def make(policy: list[str], token: str = "", name: str = "proxy") -> Proxy:
        proxy = Proxy(tmp_path / name, upstream, policy, token)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.stop()
    if sys.exc_info()[0] is not None:
        for proxy in made:
            print(proxy.log_text())
