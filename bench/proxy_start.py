"""What a proxy's start costs with a big list: CPU, peak and steady memory, beside another checkout.

    .venv/bin/python bench/proxy_start.py --domains 5000000 --baseline /tmp/main

``bench/classify.py --big-list-only`` times the engine's load alone; a proxy does more on
start (``proxy_addons/source.py``: it also saves the last good policy to its data directory,
and keeps the policy's document). Each round starts ``PolicySource`` on the same synthetic
list in a fresh process, this checkout and the baseline alternating, and prints the CPU time,
the peak RSS (VmHWM) and the RSS once started (VmRSS); medians of the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classify import write_big_list

START = (
    "import json, sys, tempfile, time\n"
    "from pathlib import Path\n"
    "from proxy_addons.source import PolicySource\n"
    "cpu = time.process_time()\n"
    "source = PolicySource([sys.argv[1]], Path(tempfile.mkdtemp(dir=sys.argv[2])))\n"
    "cpu = time.process_time() - cpu\n"
    "assert source.policy.platform_for_host('www.host0-7.example-0.com').id == 'synthetic_0'\n"
    "status = open('/proc/self/status').read()\n"
    "mb = {k: int(status.split(k + ':')[1].split()[0]) / 1024 for k in ('VmHWM', 'VmRSS')}\n"
    "print(json.dumps({'cpu_seconds': cpu, 'peak_mb': mb['VmHWM'], 'rss_mb': mb['VmRSS']}))\n"
)


def start_figures(code_root: Path, policy: Path, scratch: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", START, str(policy), str(scratch)],
        cwd=code_root,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--per-platform", type=int, default=1000, help="names per domains_file (one big file: all)"
    )
    parser.add_argument("--baseline", type=Path, help="another checkout, e.g. git archive of main")
    args = parser.parse_args()
    roots = {"this checkout": Path(__file__).resolve().parent.parent}
    if args.baseline:
        roots["baseline"] = args.baseline.resolve()
    with tempfile.TemporaryDirectory() as folder:
        policy = write_big_list(Path(folder), args.domains, True, args.per_platform)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in roots}
        for _ in range(args.rounds):
            for name, root in roots.items():
                runs[name].append(start_figures(root, policy, Path(folder)))
    for name, figures in runs.items():
        median = {k: statistics.median(f[k] for f in figures) for k in figures[0]}
        print(
            f"proxy start with {args.domains:,} listed domains, {args.per_platform:,} a file "
            f"({name}): "
            f"{median['cpu_seconds']:.2f} s CPU, peak RSS {median['peak_mb']:.0f} MB, "
            f"RSS once started {median['rss_mb']:.0f} MB; median of {args.rounds}"
        )


if __name__ == "__main__":
    main()
