"""Why the large-list index is a dict of hashes and not a sorted array of them, measured.

    .venv/bin/python bench/index_choice.py            # 5,000,000 names, as bench/classify.py

A sorted ``array('Q')`` of the 60-bit keys would hold five million names in 40 MB instead of
about 330 MB, but without numpy the keys are sorted as Python ints and looked up with
``bisect``; this prints, for the same names, the CPU time of building the engine's dict index
(``HashedDomains``) and of building the sorted array of the keys alone (a lower bound: the
platform numbers would still have to follow the keys), and the cost of one look-up in each.
"""

from __future__ import annotations

import argparse
import array
import bisect
import sys
import time
from itertools import repeat
from operator import and_
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policy_lists.hashed import _KEY_BITS, HashedDomains


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=5_000_000)
    args = parser.parse_args()
    texts = [
        "\n".join(f"host{p}-{d}.example-{p % 97}.com" for d in range(1000))
        for p in range(args.domains // 1000)
    ]
    start = time.process_time()
    index = HashedDomains()
    for number, text in enumerate(texts):
        index.add(text, number)
    dict_seconds = time.process_time() - start

    start = time.process_time()
    keys = [k for t in texts for k in map(and_, map(hash, t.split("\n")), repeat(_KEY_BITS))]
    keys.sort()
    ordered = array.array("Q", keys)
    del keys
    sort_seconds = time.process_time() - start

    probes = [hash(f"www.host{i}.example-{i % 97}.com") & _KEY_BITS for i in range(300_000)]
    table = index._numbers
    start = time.perf_counter()
    for key in probes:
        table.get(key)
    get_ns = (time.perf_counter() - start) / len(probes) * 1e9
    start = time.perf_counter()
    for key in probes:
        bisect.bisect_left(ordered, key)
    bisect_ns = (time.perf_counter() - start) / len(probes) * 1e9
    print(
        f"{len(index):,} names: dict index {dict_seconds:.2f} s CPU, sorted array('Q') of the "
        f"keys alone {sort_seconds:.2f} s CPU ({len(ordered) * 8 / 1e6:.0f} MB); one look-up: "
        f"dict {get_ns:.0f} ns, bisect on the array {bisect_ns:.0f} ns"
    )


if __name__ == "__main__":
    main()
