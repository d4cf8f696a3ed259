"""``versions.py`` compiles and stores policy versions; ``layer.py`` reads and writes the layer.
Code written before the split still finds the moved names in ``layer``, with a warning."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from admin_web import layer, versions


def test_moved_names_still_resolve_through_layer_with_a_warning():
    for name in sorted(layer.MOVED):
        with pytest.warns(DeprecationWarning, match=f"import {name} from admin_web.versions"):
            assert getattr(layer, name) is getattr(versions, name)
    with pytest.raises(AttributeError):
        layer.no_such_name  # noqa: B018


def test_the_layer_does_not_compile_versions_itself():
    """One direction only: versions builds on the layer, the layer never on versions."""
    tree = ast.parse(Path(layer.__file__).read_text(encoding="utf-8"))
    top_level = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert not [n.module for n in top_level if n.module and "versions" in n.module]
    assert not {"current", "commit_change", "save_version"} & {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef)
    }
