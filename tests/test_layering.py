"""Who may import whom. The engine knows nothing of the parts built on it (the admin site and
the proxy import ``policy_lists``, never the other way round; their commands come in through
entry points), and the benches take what they share with the tests from the installed
``staffguard_testkit``, not from test files put on ``sys.path``."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import policy_lists

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(policy_lists.__file__).resolve().parent
ABOVE = ("admin_web", "proxy_addons")


def names_above(path: Path) -> list[str]:
    """Imports of, and strings naming, a part above the engine (``importlib`` takes strings)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""] if not node.level else []
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            modules = [word for word in ABOVE if word in node.value]
        else:
            continue
        found += [f"{path.name}:{node.lineno}: {m}" for m in modules if m.startswith(ABOVE)]
    return found


def test_policy_lists_imports_nothing_above_it():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10, "the scan sees the package"
    assert [hit for path in files for hit in names_above(path)] == []


def test_the_scan_finds_what_it_forbids(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import admin_web.cli\nfrom proxy_addons import cli\n"
        "import importlib\nimportlib.import_module('admin_web.cli')\nfrom . import engine\n",
        encoding="utf-8",
    )
    assert [hit.split(": ")[1] for hit in names_above(sample)] == [
        "admin_web.cli",
        "proxy_addons",
        "admin_web",
    ]


def test_benches_import_no_test_module():
    test_modules = {path.stem for path in (ROOT / "tests").rglob("*.py")}
    for bench in sorted((ROOT / "bench").glob("*.py")):
        text = bench.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text, str(bench))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
                assert not {n.split(".")[0] for n in names} & test_modules, (bench.name, names)
        assert not [line for line in text.splitlines() if "sys.path" in line and "tests" in line]


def test_benches_import_as_the_readme_runs_them():
    """Each bench module loads with only its own directory on sys.path (as ``python bench/x.py``
    puts it) and the installed packages: no test directory is needed."""
    load = (
        "import importlib.util, sys\n"
        "for path in sys.argv[1:]:\n"
        "    spec = importlib.util.spec_from_file_location(path[:-3], path)\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(sorted(m for m in sys.modules if m in {'realparts', 'proxy_harness'}))\n"
    )
    benches = sorted(p.name for p in (ROOT / "bench").glob("*.py"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", load, *benches],
        cwd=ROOT / "bench",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
