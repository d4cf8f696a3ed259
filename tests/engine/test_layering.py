"""The engine knows nothing of the parts built on it: the admin site and the proxy import
``policy_lists``, never the other way round (their commands come in through entry points)."""

from __future__ import annotations

import ast
from pathlib import Path

import policy_lists

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
