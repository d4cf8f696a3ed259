"""Compile the vector scenarios into tests/vectors/compiled/, for both engines' tests.

Run it after changing the shipped lists or a scenario: ``python tests/vectors/build.py``.
tests/engine/test_vectors.py fails while the committed files are out of date.
"""

from __future__ import annotations

import json
from pathlib import Path

from policy_lists import DEFAULTS, compile_sources
from policy_lists.lms import HOSTS, TABLE

HERE = Path(__file__).resolve().parent
SCENARIOS: dict[str, list[Path]] = {
    "defaults": [DEFAULTS],
    "district": [DEFAULTS, HERE / "scenarios" / "district"],
    "strict": [DEFAULTS, HERE / "scenarios" / "strict.yaml"],
    "kinds": [HERE / "scenarios" / "kinds.yaml"],  # every rule kind, apart from the defaults
}


def compiled(name: str) -> str:
    """The compiled scenario as the exact text committed to the repository."""
    return json.dumps(compile_sources(*SCENARIOS[name]), indent=1, ensure_ascii=False) + "\n"


def lms_routes() -> str:
    """policy_lists/lms.py's route table as the text committed for the extension's twin
    (extension/lib/lms.js carries the same table; extension/tests/lms.test.mjs compares)."""
    rows = [
        {"lms": lms, "hosts": list(HOSTS[hosts]), "kind": kind, "methods": methods.split(),
         "path": path, "operations": list(ops)}
        for lms, hosts, kind, methods, path, ops in TABLE
    ]  # fmt: skip
    return json.dumps({"routes": rows}, indent=1) + "\n"


def main() -> None:
    for name in SCENARIOS:
        path = HERE / "compiled" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(compiled(name), encoding="utf-8")
        print(f"wrote {path.relative_to(HERE.parent.parent)}")
    path = HERE / "lms" / "routes.json"
    path.write_text(lms_routes(), encoding="utf-8")
    print(f"wrote {path.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
