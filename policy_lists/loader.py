"""Read policy sources (a YAML file, or a directory of them) with line numbers for every entry.

Every YAML entry point (the command line, the proxy's file source, the admin site's import and
forms) reads through :func:`read_yaml`, which bounds what a hostile file can cost before any
of it is built: its size, its nesting depth, and how large its aliases make it once expanded
(a "billion laughs" file is a few hundred bytes that expand to 10^9 nodes). Any value the
constructors cannot build (month 13, a 5,000-digit integer, ``!!timestamp x``) is a problem
with the file's line, never a traceback.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from .schema import Checker, Document, PolicyError, Where

DEFAULTS = Path(__file__).with_name("defaults")
MAX_YAML_BYTES = 8 * 1024 * 1024  # a district's largest list file is well under 1 MB
MAX_YAML_NODES = 2_000_000  # values once aliases are expanded
MAX_YAML_ALIASES = 10_000
MAX_YAML_DEPTH = 32  # the deepest list structure (settings.actions) is 6 levels
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class _Mapping(dict[str, Any]):
    """A YAML mapping that remembers the line it started on."""

    line: int | None = None


class _TooCostly(yaml.MarkedYAMLError):
    """A document refused for its size, depth or alias expansion, with where it starts."""


# libyaml's parser when PyYAML was built with it: the same safe constructors, far faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_cost(node)
        return self.construct_document(node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Any value a constructor cannot build is a YAML problem at that node's line."""
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError, KeyError) as error:
            reason = (
                str(error)[:120] if isinstance(error, ValueError | OverflowError) else "malformed"
            )
            what = f"{node.value!r:.60}" if isinstance(node, yaml.ScalarNode) else "this value"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {what} as {_tag(node)} ({reason})", node.start_mark
            ) from None


def _tag(node: yaml.Node) -> str:
    return str(node.tag).rsplit(":", 1)[-1]


def _check_cost(root: yaml.Node) -> None:
    """Refuse a node graph deeper than MAX_YAML_DEPTH or larger, once expanded, than
    MAX_YAML_NODES, without expanding it: each distinct node is visited once, and a node
    reached again (an alias) adds the size already computed for it."""
    sizes: dict[int, int] = {}
    aliases = 0
    stack: list[tuple[yaml.Node, int, list[yaml.Node] | None]] = [(root, 1, None)]
    while stack:
        node, depth, children = stack.pop()
        if children is not None:  # every child is sized: size this node
            size = 1 + sum([sizes[id(child)] for child in children])
            if size > MAX_YAML_NODES:
                raise _TooCostly(
                    None, None, f"expands to more than {MAX_YAML_NODES:,} values", node.start_mark
                )
            sizes[id(node)] = size
            continue
        if depth > MAX_YAML_DEPTH:
            raise _TooCostly(
                None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", node.start_mark
            )
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = [part for pair in node.value for part in pair]
        sizes[id(node)] = MAX_YAML_NODES + 1  # until sized: a node inside itself is refused
        stack.append((node, depth, children))
        for child in children:
            if id(child) in sizes:
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise _TooCostly(
                        None, None, f"more than {MAX_YAML_ALIASES:,} aliases", child.start_mark
                    )
            else:
                stack.append((child, depth + 1, None))


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    mapping = _Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


def _construct_text(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    """Text as YAML writes it, minus what no list needs and databases refuse: NUL and
    unpaired surrogates (reachable through double-quoted escapes such as ``"\\0"``)."""
    text: str = loader.construct_scalar(node)
    if _UNSTORABLE.search(text):
        raise yaml.constructor.ConstructorError(
            None, None, "text holds a NUL or an unpaired surrogate character", node.start_mark
        )
    return text


def _construct_float(loader: _LineLoader, node: yaml.ScalarNode) -> float:
    value: float = loader.construct_yaml_float(node)
    if not math.isfinite(value):
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a finite number", node.start_mark
        )
    return value


def _refuse(loader: _LineLoader, node: yaml.Node) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, f"{node.tag} values have no place in policy lists", node.start_mark
    )


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_text)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
for _tag_name in ("binary", "set", "omap", "pairs"):
    _LineLoader.add_constructor(f"tag:yaml.org,2002:{_tag_name}", _refuse)


def read_yaml(path: Path | str, text: str | None = None) -> Any:
    """Parse one YAML file; any problem becomes a PolicyError that names file and line."""
    name = str(path)
    try:
        if text is None:
            if Path(path).stat().st_size > MAX_YAML_BYTES:
                return _too_large(name)
            text = Path(path).read_text(encoding="utf-8")
        if len(text) > MAX_YAML_BYTES:
            return _too_large(name)
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyError([(Where(name, line), f"YAML: {error.problem or error}")]) from None
    except yaml.reader.ReaderError as error:
        line = (text or "")[: error.position].count("\n") + 1
        raise PolicyError([(Where(name, line), f"YAML: {error.reason}")]) from None
    except (yaml.YAMLError, RecursionError) as error:
        raise PolicyError([(Where(name), f"YAML: {error.__class__.__name__}")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError([(Where(name), f"cannot read: {error}")]) from None


def _too_large(name: str) -> Any:
    raise PolicyError([(Where(name), f"larger than {MAX_YAML_BYTES // 2**20} MiB")])


def source_files(source: Path | str) -> list[Path]:
    """The YAML files of a source, in name order so layering inside a directory is stable."""
    path = Path(source)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if path.is_file():
        return [path]
    raise PolicyError([(Where(str(path)), "no such policy file or directory")])


def read_source(source: Path | str) -> Document:
    """One source's Document; all of its files' problems are raised together."""
    problems = []
    documents = []
    for path in source_files(source):
        try:
            checker = Checker(str(path), directory=path.parent)
            documents.append(checker.read(read_yaml(path)))
            problems.extend(checker.problems)
        except PolicyError as error:
            problems.extend(error.problems)
    if problems:
        raise PolicyError(problems)
    return merge_files(documents)


def read_text(name: str, text: str) -> Document:
    """A Document from YAML text (an upload in the admin site), named ``name`` in errors.

    Text has no directory of its own, so it cannot name a ``domains_file``.
    """
    checker = Checker(name)
    document = checker.read(read_yaml(name, text))
    if checker.problems:
        raise PolicyError(checker.problems)
    return merge_files([document])


def merge_files(documents: list[Document]) -> Document:
    """Join the files of one source; the same id or domain twice in a source is an error."""
    merged = Document()
    problems: list[tuple[Where, str]] = []
    ids: dict[str, Where] = {}
    for document in documents:
        for entry in document.platforms:
            if entry.id in ids:
                problems.append(
                    (entry.where.about("id"), f"duplicate id; also defined at {ids[entry.id]}")
                )
                continue
            ids[entry.id] = entry.where
            merged.platforms.append(entry)
        merged.approvals += document.approvals
        merged.accounts += document.accounts
        merged.exemptions += document.exemptions
        merged.settings = _merge_settings(merged.settings, document.settings)
    owners: dict[str, Where] = {}
    for entry in merged.platforms:
        domains = entry.fields.get("domains", ())
        for domain in sorted(owners.keys() & domains):
            message = f"domain {domain!r} is also claimed by {owners[domain]}"
            problems.append((entry.where.about("domains"), message))
        owners.update(dict.fromkeys(domains, entry.where))
        if len(set(domains)) < len(domains):
            twice = sorted({d for d in domains if domains.count(d) > 1})
            problems.append(
                (entry.where.about("domains"), f"domains listed twice: {', '.join(twice)}")
            )
    if problems:
        raise PolicyError(problems)
    return merged


def _merge_settings(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **update}
    if "actions" in base and "actions" in update:
        table = {category: dict(tables) for category, tables in base["actions"].items()}
        for category, tables in update["actions"].items():
            for approval, actions in tables.items():
                previous = table.setdefault(category, {}).get(approval, {})
                table[category][approval] = {**previous, **actions}
        merged["actions"] = table
    return merged
