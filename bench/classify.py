"""How fast the engine decides, beside the cost of merely splitting the same URLs.

    .venv/bin/python bench/classify.py          # classify vs urlsplit; a 1,000,000-domain list
    .venv/bin/python bench/classify.py --quick    # smaller list, for a quick look
    .venv/bin/python bench/classify.py --feed-only  # only the category-feed figures
    .venv/bin/python bench/classify.py --big-list-only --domains 5000000 --baseline /tmp/main
        # load time and peak RSS of a 5,000,000-domain domains_file list, beside another
        # checkout's (git archive main | tar -x -C /tmp/main), alternating rounds

The ratio classify/urlsplit is the figure that matters (aim: at most 3x): both run in one
process, one after the other, on the same URLs, so a noisy machine moves both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policy_lists import DEFAULTS, Policy, load_policy
from policy_lists.compiler import compile_documents
from policy_lists.feeds import MAX_DOMAINS, FeedLayer, parse
from policy_lists.loader import read_source

ROOT = Path(__file__).resolve().parent.parent
MAX_INLINE = 200_000  # inline YAML beyond this passes the loader's 8 MiB file limit
PLATFORM_URLS = [
    "https://www.instagram.com/direct/inbox/",
    "https://www.instagram.com/lincolnhigh/",
    "https://scontent.cdninstagram.com/v/t51.2885-15/{n}.jpg",
    "https://www.tiktok.com/@user{n}/video/{n}",
    "https://www.tiktok.com/messages",
    "https://x.com/messages/{n}-{n}",
    "https://pbs.twimg.com/media/{n}.jpg",
    "https://www.facebook.com/groups/{n}/",
    "https://www.youtube.com/watch?v={n}",
    "https://i.ytimg.com/vi/{n}/hqdefault.jpg",
    "https://discord.com/channels/{n}/{n}",
    "https://www.reddit.com/r/teachers/comments/{n}/",
    "https://mail.google.com/mail/u/0/#inbox",
    "https://classroom.google.com/c/{n}",
    "https://usd999.instructure.com/courses/{n}",
]
WORDS = [
    "news",
    "shop",
    "weather",
    "bank",
    "county",
    "library",
    "sports",
    "recipes",
    "maps",
    "health",
    "science",
    "district",
    "travel",
    "music",
    "photo",
    "cloud",
    "docs",
    "api",
]
TLDS = ["com", "org", "net", "edu", "gov", "us", "co.uk", "io", "k12.ks.us"]


def bench_mix(count: int, platform_share: float = 0.2, seed: int = 7) -> list[str]:
    """Mostly unclassified hosts with ordinary paths; a fifth platform URLs, many with rules."""
    rng = random.Random(seed)
    urls = []
    for n in range(count):
        if rng.random() < platform_share:
            urls.append(rng.choice(PLATFORM_URLS).format(n=n))
        else:
            host = f"{rng.choice(['www.', 'cdn.', 'static.', ''])}{rng.choice(WORDS)}{n % 5000}"
            path = "/".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
            query = f"?id={n}&ref={rng.choice(WORDS)}" if rng.random() < 0.5 else ""
            urls.append(f"https://{host}.{rng.choice(TLDS)}/{path}{query}")
    return urls


def rate(function, urls: list[str], rounds: int) -> float:
    """Best of ``rounds`` passes, in URLs per second."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for url in urls:
            function(url)
        best = min(best, time.perf_counter() - start)
    return len(urls) / best


def write_big_list(folder: Path, domains: int, as_text_file: bool, per_platform: int) -> Path:
    """A synthetic list of ``domains`` names in platforms of 1,000, inline in the YAML or in a
    ``domains_file`` beside it per platform."""
    path = folder / "big.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write("platforms:\n")
        for p in range(domains // per_platform):
            out.write(
                f"  - id: synthetic_{p}\n    name: Synthetic {p}\n    category: social_media\n"
            )
            names = (f"host{p}-{d}.example-{p % 97}.com\n" for d in range(per_platform))
            if as_text_file:
                out.write(f"    domains_file: synthetic_{p}.txt\n")
                (folder / f"synthetic_{p}.txt").write_text("".join(names))
            else:
                out.write("    domains:\n")
                out.writelines(f"      - {name}" for name in names)
    return path


LOAD = (
    "import inspect, json, sys, time\n"
    "from policy_lists import load_policy\n"
    # the proxy's way where the checkout has it: each list's text dropped once indexed
    "shed = 'keep_listed_text' in inspect.signature(load_policy).parameters\n"
    "options = {'keep_listed_text': False} if shed else {}\n"
    "start, cpu = time.perf_counter(), time.process_time()\n"
    "policy = load_policy(sys.argv[1], **options)\n"
    "elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu\n"
    "hit = policy.classify('https://host0-7.example-0.com/')\n"
    "assert hit.platform_id == 'synthetic_0'\n"
    # VmHWM, not ru_maxrss: Linux carries the parent's peak across fork and exec
    "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
    "peak = int(status.split()[0]) / 1024\n"
    "import urllib.parse\n"
    "urls, best = json.load(open(sys.argv[2])), {}\n"
    "for _ in range(5):  # interleaved, best of five\n"
    "    for key, function in (('split', urllib.parse.urlsplit), ('classify', policy.classify)):\n"
    "        start = time.perf_counter()\n"
    "        for url in urls: function(url)\n"
    "        best[key] = min(best.get(key, 1e9), time.perf_counter() - start)\n"
    "ratio = best['classify'] / best['split']\n"
    "print(json.dumps({'seconds': elapsed, 'cpu_seconds': cpu, 'peak_mb': peak, 'ratio': ratio}))\n"
)


def load_figures(path: Path, mix: Path, code_root: Path | None = None) -> dict[str, float]:
    """Load time and peak memory of a list, in a fresh process for a clean peak, then the cost
    of classify over ``mix`` beside urlsplit's; with ``code_root``, the engine of another
    checkout (``--baseline``) does it."""
    env = dict(os.environ)
    if code_root is not None:
        env["PYTHONPATH"] = str(code_root)
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(path), str(mix)],
        capture_output=True, text=True, check=True, env=env, cwd=code_root or ROOT,
    )  # fmt: skip
    return json.loads(done.stdout)


def big_list_comparison(
    domains: int, as_text_file: bool, rounds: int, baseline: Path | None, per_platform: int
) -> dict[str, dict[str, float]]:
    """Median load figures of this checkout and, alternating round by round, the baseline's."""
    engines: dict[str, Path | None] = {"this checkout": None}
    if baseline is not None:
        engines["baseline"] = baseline
    seen: dict[str, list[dict[str, float]]] = {name: [] for name in engines}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_big_list(Path(tmp), domains, as_text_file, per_platform)
        mix = Path(tmp) / "mix.json"
        rng = random.Random(5)
        listed = (
            f"https://www.host{p}-{rng.randrange(min(per_platform, 1000))}.example-{p % 97}.com/x"
            for p in (rng.randrange(max(domains // per_platform, 1)) for _ in range(2000))
        )  # a tenth of the URLs on the list's sites
        mix.write_text(json.dumps([*bench_mix(18_000), *listed]))
        for _ in range(rounds):
            for name, root in engines.items():
                seen[name].append(load_figures(path, mix, root))
    return {
        name: {key: statistics.median(f[key] for f in figures) for key in figures[0]}
        for name, figures in seen.items()
    }


def feed_domains(count: int, mix: list[str], share_of_mix: float = 0.1) -> list[str]:
    """A synthetic category feed: ``count`` domains, a tenth of the mix's unlisted hosts among
    them so that classify meets feed sites as often as a real feed would make it."""
    rng = random.Random(11)
    hosts = {urllib.parse.urlsplit(u).hostname or "" for u in mix}
    listed = sorted(h for h in hosts if rng.random() < share_of_mix)
    synthetic = (f"site{n}.feed-{n % 997}.example" for n in range(count - len(listed)))
    return [*listed, *synthetic]


def feed_figures(domains: int, mix: list[str], rounds: int) -> None:
    """The 1,000,000-domain feed: parse, compile, document size, load, classify, in Node too."""
    names = feed_domains(domains, mix)
    text = ("\n".join(names) + "\n").encode()
    start = time.perf_counter()
    parsed = parse(text, "domains")
    parse_seconds = time.perf_counter() - start
    start = time.perf_counter()
    layer = FeedLayer("synthetic feed", "social_media", "\n".join(parsed.domains))
    compiled = compile_documents([read_source(DEFAULTS)], [layer])
    document = json.dumps(compiled, ensure_ascii=False)
    compile_seconds = time.perf_counter() - start
    print(
        f"feed of {len(parsed.domains):,} domains: parse {parse_seconds:.2f} s, compile "
        f"{compile_seconds:.2f} s, compiled document {len(document.encode()) / 2**20:.1f} MB"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path, mix_path = Path(tmp) / "policy.json", Path(tmp) / "mix.json"
        path.write_text(document, encoding="utf-8")
        mix_path.write_text(json.dumps(mix))
        code = (
            "import json, resource, sys, time\n"
            "from policy_lists import Policy\n"
            "start = time.perf_counter()\n"
            "policy = Policy(json.loads(open(sys.argv[1], encoding='utf-8').read()))\n"
            "elapsed = time.perf_counter() - start\n"
            "assert policy.classify('https://site7.feed-7.example/').feed == 'synthetic feed'\n"
            # VmHWM, not ru_maxrss: Linux carries the parent's peak across fork and exec
            "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
            "peak = int(status.split()[0]) / 1024\n"
            "print(json.dumps({'seconds': elapsed, 'peak_mb': peak}))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        )
        load = json.loads(done.stdout)
        print(
            f"  load (json + Policy, fresh process): {load['seconds']:.2f} s (aim < 5 s), "
            f"peak RSS {load['peak_mb']:.0f} MB (aim < 500 MB)"
        )
        policy, plain = Policy(compiled), load_policy()
        hits = sum(policy.classify(u).feed is not None for u in mix)
        best = dict.fromkeys(("split", "plain", "feed"), 0.0)
        for _ in range(max(rounds, 5)):  # interleaved, so a busy machine slows all three alike
            for key, function in (
                ("split", urllib.parse.urlsplit), ("plain", plain.classify),
                ("feed", policy.classify),
            ):  # fmt: skip
                best[key] = max(best[key], rate(function, mix, 1))
        print(
            f"  classify with the feed: {best['feed']:,.0f} URLs/s, {hits} of {len(mix)} URLs on "
            f"feed sites; ratio to urlsplit {best['split'] / best['feed']:.2f}x (aim: <= 3x; "
            f"without the feed {best['split'] / best['plain']:.2f}x)"
        )
        node = subprocess.run(
            ["node", str(Path(__file__).with_name("feeds_node.mjs")), str(path), str(mix_path)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        figures = json.loads(node.stdout)
        print(
            f"  extension (Node): parse document {figures['parse_ms']:.0f} ms, feed index "
            f"{figures['index_ms']:.0f} ms, heap {figures['heap_mb']:.0f} MB, classify "
            f"{figures['classify']:,}/s (new URL() alone {figures['url_parse']:,}/s)"
        )


def mix_figures(urls: list[str], rounds: int) -> None:
    """classify beside urlsplit on the same URLs, the shipped lists only."""
    policy = load_policy()
    classified = sum(policy.classify(u).platform_id is not None for u in urls)
    split = rate(urllib.parse.urlsplit, urls, rounds)
    decide = rate(policy.classify, urls, rounds)
    print(
        f"bench mix: {len(urls)} distinct URLs, {classified} on listed platforms, "
        f"{len(policy.platforms)} platforms in the defaults"
    )
    print(f"urlsplit:  {split:12,.0f} URLs/s")
    print(f"classify:  {decide:12,.0f} URLs/s")
    print(f"ratio classify cost / urlsplit cost: {split / decide:.2f}x (aim: <= 3x)")


def long_host_figures(rounds: int) -> None:
    """A 64 KiB host ending in a listed domain: classify now (last 253 characters looked up)
    beside the uncut walk it replaced (every parent of the whole host hashed)."""
    policy = load_policy()
    host = "a1b2c3d4." * (64 * 1024 // 9) + "tiktok.com"
    url = f"https://{host}/@lincolnhigh"

    def uncut_walk() -> None:
        name = host
        while policy._domains.get(name) is None and "." in name:
            name = name[name.find(".") + 1 :]

    for label, function in (
        ("classify, now", lambda: policy.classify(url)),
        ("uncut walk", uncut_walk),
    ):
        best = min(timeit.repeat(function, number=1, repeat=max(rounds, 3)))
        print(f"64 KiB host ending in tiktok.com, {label}: {best * 1000:.2f} ms")
    print(f"  verdict: {policy.classify(url).action}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--urls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--domains", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 URLs, 100,000 domains")
    parser.add_argument("--feed-only", action="store_true", help="only the category-feed figures")
    parser.add_argument(
        "--big-list-only", action="store_true", help="only the large list's load figures"
    )
    parser.add_argument("--load-rounds", type=int, default=3, help="load rounds (median)")
    parser.add_argument(
        "--per-platform",
        type=int,
        default=1000,
        help="names per platform (and per domains_file); --domains for one file",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (say `git archive` of main) whose engine loads the same list, "
        "alternating round by round with this one",
    )
    parser.add_argument(
        "--long-host", action="store_true", help="only the cost of a 64 KiB host (bench line)"
    )
    args = parser.parse_args()
    if args.long_host:
        long_host_figures(args.rounds)
        return
    if args.quick:
        args.urls, args.domains = 20_000, 100_000
    if args.feed_only:
        feed_figures(args.domains, bench_mix(args.urls), args.rounds)
        return
    urls = bench_mix(args.urls)
    if not args.big_list_only:
        mix_figures(urls, args.rounds)
    forms = ((True, "domains_file"), (False, "inline YAML"))
    for as_text_file, form in forms[: 1 if args.domains > MAX_INLINE else 2]:
        figures = big_list_comparison(
            args.domains, as_text_file, args.load_rounds, args.baseline, args.per_platform
        )
        for engine, big in figures.items():
            print(
                f"synthetic list of {args.domains:,} domains ({form}, {engine}): load "
                f"{big['seconds']:.2f} s ({big['cpu_seconds']:.2f} s CPU; aim < 5 s), peak RSS "
                f"{big['peak_mb']:.0f} MB (aim < 500 MB); then classify costs "
                f"{big['ratio']:.2f}x urlsplit; median of {args.load_rounds}"
            )
    if args.big_list_only:
        return
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this process, defaults only: peak RSS {own:.0f} MB)")
    feed_figures(min(args.domains, MAX_DOMAINS), urls, args.rounds)


if __name__ == "__main__":
    main()
