"""The extension's figures: classify() calls per second in Node on bench/classify.py's mix
(beside `new URL()` on the same URLs), and the time from navigation start to the
interstitial in Chromium (median of 20).

    .venv/bin/python bench/extension.py
"""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests"), str(ROOT / "tests" / "extension")]

from classify import bench_mix  # noqa: E402
from extension_harness import (  # noqa: E402
    AdminSite,
    Sites,
    has_policy,
    launch_with_extension,
    service_worker,
    set_settings,
)
from playwright.sync_api import Error, sync_playwright  # noqa: E402
from realparts import CHROMIUM  # noqa: E402

from policy_lists import compile_sources  # noqa: E402


def node_rate(directory: Path) -> dict[str, int]:
    mix, policy = directory / "mix.json", directory / "policy.json"
    mix.write_text(json.dumps(bench_mix(100_000)))
    policy.write_text(json.dumps(compile_sources()))
    out = subprocess.run(
        ["node", str(ROOT / "bench" / "classify_node.mjs"), str(mix), str(policy)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def navigation_to_interstitial(directory: Path, runs: int = 20) -> list[float]:
    admin = AdminSite(directory)
    admin.token = admin.command("tokens", "create", "bench").strip().splitlines()[-1]
    admin.start()
    sites = Sites()
    timings = []
    try:
        with sync_playwright() as p:
            context = launch_with_extension(p, directory / "profile", sites, CHROMIUM)
            worker = service_worker(context)
            set_settings(worker, backendUrl=admin.url, apiToken=admin.token, reportEvents=False)
            while not has_policy(worker):
                time.sleep(0.1)
            page = context.new_page()
            for i in range(runs):
                page.goto("about:blank")
                start = time.perf_counter()
                with contextlib.suppress(Error):  # the extension aborts what it replaces
                    page.goto(f"http://www.tiktok.com/bench/{i}", wait_until="commit")
                page.wait_for_selector("text=You are about to start using TikTok")
                timings.append((time.perf_counter() - start) * 1000)
            context.close()
    finally:
        sites.close()
        admin.stop()
    return timings


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rates = node_rate(Path(tmp))
        print(
            f"node classify: {rates['classify']:,} calls/s on 100,000 URLs "
            f"(new URL() alone: {rates['url_parse']:,}/s; ratio "
            f"{rates['url_parse'] / rates['classify']:.2f}x)"
        )
        timings = navigation_to_interstitial(Path(tmp))
        print(
            f"navigation start -> interstitial shown, Chromium, {len(timings)} runs: "
            f"median {statistics.median(timings):.0f} ms "
            f"(min {min(timings):.0f}, max {max(timings):.0f})"
        )


if __name__ == "__main__":
    main()
