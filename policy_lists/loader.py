"""Read policy sources (a YAML file, or a directory of them) with line numbers for every entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .schema import Checker, Document, PolicyError, Where

DEFAULTS = Path(__file__).with_name("defaults")


class _Mapping(dict[str, Any]):
    """A YAML mapping that remembers the line it started on."""

    line: int | None = None


# libyaml's parser when PyYAML was built with it: the same safe constructors, far faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    pass


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


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path | str, text: str | None = None) -> Any:
    """Parse one YAML file; a syntax error becomes a PolicyError that names file and line."""
    name = str(path)
    try:
        if text is None:
            text = Path(path).read_text(encoding="utf-8")
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyError([(Where(name, line), f"YAML: {error.problem or error}")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError([(Where(name), f"cannot read: {error}")]) from None


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
            checker = Checker(str(path))
            documents.append(checker.read(read_yaml(path)))
            problems.extend(checker.problems)
        except PolicyError as error:
            problems.extend(error.problems)
    if problems:
        raise PolicyError(problems)
    return merge_files(documents)


def read_text(name: str, text: str) -> Document:
    """A Document from YAML text (an upload in the admin site), named ``name`` in errors."""
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
                problems.append((entry.where, f"duplicate id; also defined at {ids[entry.id]}"))
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
            problems.append((entry.where, f"domain {domain!r} is also claimed by {owners[domain]}"))
        owners.update(dict.fromkeys(domains, entry.where))
        if len(set(domains)) < len(domains):
            twice = sorted({d for d in domains if domains.count(d) > 1})
            problems.append((entry.where, f"domains listed twice: {', '.join(twice)}"))
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
