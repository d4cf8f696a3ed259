"""``versions.py`` compiles and stores policy versions; ``layer.py`` reads and writes the layer.
Each name lives in one of them."""

from __future__ import annotations

import ast
from pathlib import Path

from admin_web import layer, versions


def test_each_version_function_lives_in_versions_only():
    for name in ("compile_layer", "current", "refresh", "save_version", "commit_change"):
        assert callable(getattr(versions, name))
        assert not hasattr(layer, name), name


def test_the_layer_does_not_compile_versions_itself():
    """One direction only: versions builds on the layer, the layer never on versions."""
    tree = ast.parse(Path(layer.__file__).read_text(encoding="utf-8"))
    top_level = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert not [n.module for n in top_level if n.module and "versions" in n.module]
    assert not {"current", "commit_change", "save_version"} & {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef)
    }
