"""The extension's figures: classify() calls per second in Node on bench/classify.py's mix
(beside `new URL()` on the same URLs), and the time from navigation start to the
interstitial in Chromium (median of 20), how many of those warned navigations reached the
platform's server before the interstitial (none, when the browser's redirect rules act); and
with a 1,000,000-domain category feed, the time the real extension takes to fetch and store
that policy and to warn on a feed site.

    .venv/bin/python bench/extension.py
    .venv/bin/python bench/extension.py --feed-only   # only the feed figures
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from classify import bench_mix  # noqa: E402  (bench/classify.py, beside this script)
from playwright.sync_api import Error, sync_playwright  # noqa: E402

from policy_lists import compile_sources  # noqa: E402
from staffguard_testkit.extension import (  # noqa: E402
    AdminSite,
    Sites,
    has_policy,
    launch_with_extension,
    service_worker,
    set_settings,
)
from staffguard_testkit.machine import CHROMIUM  # noqa: E402


def node_rate(directory: Path) -> dict[str, int]:
    mix, policy = directory / "mix.json", directory / "policy.json"
    mix.write_text(json.dumps(bench_mix(100_000)))
    policy.write_text(json.dumps(compile_sources()))
    out = subprocess.run(
        ["node", str(ROOT / "bench" / "classify_node.mjs"), str(mix), str(policy)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def navigation_to_interstitial(directory: Path, runs: int = 20) -> tuple[list[float], int]:
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
            rules = "chrome.storage.session.get('rules').then(r => !!r.rules)"
            while not has_policy(worker) or not worker.evaluate(rules):
                time.sleep(0.1)
            time.sleep(0.5)  # the extension's rules for this policy are in force
            page = context.new_page()
            for i in range(runs):
                page.goto("about:blank")
                start = time.perf_counter()
                with contextlib.suppress(Error):  # the extension aborts what it replaces
                    page.goto(f"http://www.tiktok.com/bench/{i}", wait_until="commit")
                page.wait_for_selector("text=You are about to start using TikTok")
                timings.append((time.perf_counter() - start) * 1000)
            context.close()
        reached = sum(1 for _, _, path in sites.seen if path.startswith("/bench/"))
    finally:
        sites.close()
        admin.stop()
    return timings, reached


FEED_SITE = "site7.feed-7.example"


class FeedSites(Sites):
    """The platform hosts, and one host only the feed knows."""

    @property
    def resolver_rules(self) -> str:
        return f"{super().resolver_rules}, MAP {FEED_SITE} 127.0.0.1:{self.port}"


def add_big_feed(admin: AdminSite, domains: int) -> None:
    """A feed of ``domains`` synthetic sites, stored as the admin site stores a fetched copy."""
    from admin_web.app import create_app
    from admin_web.db import get_db
    from admin_web.models import Feed
    from admin_web.versions import commit_change

    app = create_app({"DATABASE_URL": admin.env["STAFFGUARD_DATABASE_URL"]})
    names = sorted(f"site{n}.feed-{n % 997}.example" for n in range(domains))
    with app.app_context():
        db = get_db()
        db.add(
            Feed(
                name="synthetic feed", url="", format="domains", category="social_media",
                enabled=True, schedule_hours=0, status="ok", message="", domains="\n".join(names),
                domain_count=len(names), ignored=0, invalid=0,
            )
        )  # fmt: skip
        db.flush()
        commit_change(db, "bench", "feed uploaded", "synthetic feed", None, None)


def feed_in_chromium(directory: Path, domains: int) -> dict[str, float]:
    """Sync a policy carrying a big feed into the real extension, then open a feed site."""
    directory.mkdir(exist_ok=True)
    admin = AdminSite(directory)
    admin.token = admin.command("tokens", "create", "bench").strip().splitlines()[-1]
    add_big_feed(admin, domains)
    admin.start()
    sites = FeedSites()
    try:
        with sync_playwright() as p:
            context = launch_with_extension(p, directory / "profile", sites, CHROMIUM)
            worker = service_worker(context)
            start = time.perf_counter()
            set_settings(worker, backendUrl=admin.url, apiToken=admin.token, reportEvents=False)
            while not has_policy(worker):
                time.sleep(0.05)
            synced = time.perf_counter() - start
            stored = worker.evaluate("chrome.storage.local.getBytesInUse('policy')")
            page = context.new_page()
            start = time.perf_counter()
            with contextlib.suppress(Error):  # the extension aborts what it replaces
                page.goto(f"http://{FEED_SITE}/first", wait_until="commit")
            page.wait_for_selector(f"text=You are about to start using {FEED_SITE}")
            first = time.perf_counter() - start
            page.goto("about:blank")
            start = time.perf_counter()
            with contextlib.suppress(Error):
                page.goto(f"http://{FEED_SITE}/second", wait_until="commit")
            page.wait_for_selector(f"text=You are about to start using {FEED_SITE}")
            second = time.perf_counter() - start
            context.close()
    finally:
        sites.close()
        admin.stop()
    return {
        "synced": synced,
        "stored_mb": stored / 2**20,
        "first_warning": first,
        "second_warning": second,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feed-only", action="store_true", help="only the feed figures")
    parser.add_argument("--domains", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        feed = feed_in_chromium(Path(tmp) / "feed", args.domains)
        print(
            f"feed of {args.domains:,} domains in Chromium: policy fetched and stored "
            f"{feed['synced']:.1f} s after the settings ({feed['stored_mb']:.1f} MB in "
            f"storage.local); first feed-site warning {feed['first_warning'] * 1000:.0f} ms "
            f"(reads the policy, builds the feed index), the next "
            f"{feed['second_warning'] * 1000:.0f} ms"
        )
        if args.feed_only:
            return
        rates = node_rate(Path(tmp))
        print(
            f"node classify: {rates['classify']:,} calls/s on 100,000 URLs "
            f"(new URL() alone: {rates['url_parse']:,}/s; ratio "
            f"{rates['url_parse'] / rates['classify']:.2f}x)"
        )
        (Path(tmp) / "plain").mkdir()
        timings, reached = navigation_to_interstitial(Path(tmp) / "plain")
        print(
            f"navigation start -> interstitial shown, Chromium, {len(timings)} runs: "
            f"median {statistics.median(timings):.0f} ms "
            f"(min {min(timings):.0f}, max {max(timings):.0f}); "
            f"{reached} of {len(timings)} reached the platform's server"
        )


if __name__ == "__main__":
    main()
