"""The extension's classify() cost beside `new URL()` alone, in Node (aim: at most 2x).

    .venv/bin/python bench/extension_ratio.py            # 100,000 URLs of bench/classify.py's mix

Rounds alternate between the two on the same URLs, so a busy machine slows both alike; it
prints the best rate of each and the median ratio with its spread (bench/classify_node.mjs).
``bench/extension.py`` prints the same rates beside its Chromium figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from classify import bench_mix  # noqa: E402

from policy_lists import compile_sources  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mix, policy = Path(tmp) / "mix.json", Path(tmp) / "policy.json"
        mix.write_text(json.dumps(bench_mix(args.urls)))
        policy.write_text(json.dumps(compile_sources()))
        out = subprocess.run(
            ["node", str(ROOT / "bench" / "classify_node.mjs"), str(mix), str(policy),
             str(args.rounds)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    rates = json.loads(out.stdout)
    print(
        f"node classify: {rates['classify']:,} calls/s on {args.urls:,} URLs (new URL() alone: "
        f"{rates['url_parse']:,}/s); cost ratio classify/parse, median of {args.rounds} "
        f"alternating rounds: {rates['ratio_median']:.2f}x (spread {rates['ratio_min']:.2f}-"
        f"{rates['ratio_max']:.2f}; aim <= 2x)"
    )


if __name__ == "__main__":
    main()
