"""Checks of single fields: domain names, rules, host patterns, action tables, short texts.

The base of :class:`~policy_lists.schema.sections.Checker`: it collects problems instead of
stopping at the first, each with the field it concerns (see ``problems``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ..domains import is_public_suffix
from ..hashed import text_chunks
from ..vocabulary import ACTIONS, ACTIVITIES, FIXED_ACTIONS
from .bulk import all_plain
from .problems import Problem, Where
from .values import (
    _HOST_PATTERN_LABEL,
    _METHOD,
    _OPERATION,
    _PLAIN_DOMAIN,
    MAX_DOMAINS_FILE_BYTES,
    MAX_PEOPLE,
    RULE_KEYS,
    TEXT_LIMITS,
    Rule,
    normalize_domain,
    strings,
)


class FieldChecks:
    """Collects problems while reading one file's values."""

    def __init__(self, file: str, directory: Path | None = None):
        self.file = file
        self.directory = directory  # where a domains_file may be; None: nowhere
        self._base: Path | None = None  # directory, resolved once: a list may name thousands
        self.problems: list[Problem] = []

    def where(self, node: Any, entry: str = "") -> Where:
        return Where(self.file, getattr(node, "line", None), entry)

    def fail(self, where: Where, message: str, field: str = "") -> None:
        """Note a problem. ``field``: the entry's field it concerns, unless ``where`` already
        names one (a rule's problems all concern its platform's ``rules``)."""
        if field and not where.field:
            where = where.about(field)
        self.problems.append(Problem(where, message))

    def known_keys(self, raw: Mapping[str, Any], where: Where, known: Collection[str]) -> None:
        """Refuse keys the format does not know: a typo ("user_domain") must not be dropped."""
        for key in raw:
            if key not in known:
                self.fail(where, f"unknown field {key!r}")

    def domains(self, raw: Any, where: Where, key: str) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw:
            self.fail(where, f"{key} must be a non-empty list of domain names", key)
            return ()
        plain = _PLAIN_DOMAIN.match
        # Most names are already plain lowercase ASCII: check those in one pass, fix the rest.
        result = [d if isinstance(d, str) and plain(d) else normalize_domain(d) for d in raw]
        for value, domain in zip(raw, result, strict=True):
            if domain is None:
                message = f"{key}: {value!r} is not a domain name (no scheme, path or port)"
                self.fail(where, message, key)
        suffixes = [d for d in result if d is not None and is_public_suffix(d)]
        for domain in suffixes:
            message = f"{key}: {domain!r} is a public suffix; it would claim every site under it"
            self.fail(where, message, key)
        return tuple(d for d in result if d is not None)

    def domains_file(self, raw: Any, where: Where) -> str:
        """Domains from a text file beside the list file, one a line (``#`` starts a comment),
        as one newline-joined text: the form the engine indexes millions of names from.

        Large lists (a district's own block list, say) load far faster this way than as YAML.
        The file must lie inside the list file's own directory (an upload has none, so it
        cannot name one), and problems name its lines, never its contents: a list file must
        not be a way to read other files on the server. A name listed twice is harmless here.
        """
        if self.directory is None:
            self.fail(
                where,
                "domains_file works only in list files on disk, not in uploads",
                "domains_file",
            )
            return ""
        if self._base is None:
            self._base = self.directory.resolve()
        base = self._base
        path = (base / str(raw)).resolve()
        label = f"domains_file {str(raw)[:200]!r}"
        if not path.is_relative_to(base) or not path.is_file():
            self.fail(
                where, f"{label} must be a file inside {str(self.directory)!r}", "domains_file"
            )
            return ""
        try:
            if path.stat().st_size > MAX_DOMAINS_FILE_BYTES:
                self.fail(
                    where,
                    f"{label} is larger than {MAX_DOMAINS_FILE_BYTES >> 20} MiB",
                    "domains_file",
                )
                return ""
            data = path.read_bytes()
            if b"\r" in data:  # Windows or old Mac line ends; most lists have none (no copy)
                data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            text = _decoded_without_end_newlines(data)
            del data  # a large file's bytes go before its names are indexed
        except (OSError, UnicodeDecodeError) as error:
            self.fail(where, f"{label} cannot be read ({error.__class__.__name__})", "domains_file")
            return ""
        plain = [all_plain(chunk) for chunk in text_chunks(text)]
        if all(plain):  # the usual big list: the text is its names as it stands, no second copy
            return text
        parts = []
        lines_before = 0
        for chunk, is_plain in zip(text_chunks(text), plain, strict=True):
            if is_plain:
                parts.append(chunk)
            else:
                parts.extend(self._domains_lines(chunk, lines_before, where, label))
            lines_before += chunk.count("\n") + 1
        return "\n".join(parts)

    def _domains_lines(self, chunk: str, lines_before: int, where: Where, label: str) -> list[str]:
        """A chunk that is not all plain names, read line by line so problems name the line."""
        result = []
        for number, line in enumerate(chunk.split("\n"), lines_before + 1):
            name = line.partition("#")[0].strip()
            if not name:
                continue
            domain = normalize_domain(name)
            if domain is None or is_public_suffix(domain):
                self.fail(
                    where,
                    f"{label} line {number}: not a domain name a platform can own",
                    "domains_file",
                )
            else:
                result.append(domain)
        return result

    def rules(self, raw: Any, where: Where) -> tuple[Rule, ...]:
        if not isinstance(raw, list):
            self.fail(where, "rules must be a list", "rules")
            return ()
        rules = []
        for index, item in enumerate(raw):
            line = getattr(item, "line", where.line)
            rule_where = Where(where.file, line, f"{where.entry} rules[{index}]", "rules")
            rule = self.rule(item, rule_where)
            if rule:
                rules.append(rule)
        return tuple(rules)

    def rule(self, raw: Any, where: Where) -> Rule | None:
        if not isinstance(raw, Mapping):
            self.fail(where, "a rule must be a mapping")
            return None
        problems = len(self.problems)
        for key in raw:
            if key not in RULE_KEYS:
                self.fail(where, f"unknown rule field {key!r}")
        if raw.get("activity") not in ACTIVITIES:
            self.fail(where, f"activity must be one of {', '.join(ACTIVITIES)}")
        if not any(key in raw for key in ("paths", "hosts", "headers", "operations", "websocket")):
            self.fail(where, "a rule needs paths, hosts, headers, operations or websocket")
        paths = []
        for path in strings(raw.get("paths", [])):
            if path.startswith("/"):
                paths.append(tuple(s.lower() for s in path.split("/") if s))
            else:
                self.fail(where, f"path {path!r} must start with '/'")
        methods = frozenset(m.upper() for m in strings(raw.get("methods", [])))
        if any(not _METHOD.match(m) for m in methods):
            self.fail(where, f"methods must be HTTP method names, not {sorted(methods)}")
        hosts = self.rule_hosts(raw["hosts"], where) if "hosts" in raw else ()
        headers = []
        raw_headers = raw.get("headers") or {}
        if not isinstance(raw_headers, Mapping):
            self.fail(where, "headers must map header names to accepted values")
            raw_headers = {}
        for name, values in raw_headers.items():
            accepted = values if isinstance(values, list) else [values]
            headers.append((str(name).lower(), frozenset(str(v) for v in accepted)))
        websocket = raw.get("websocket", False)
        if "websocket" in raw and websocket is not True:
            self.fail(where, "websocket must be true (or left out)")
        operations = frozenset(strings(raw.get("operations", [])))
        if "operations" in raw and not operations:
            self.fail(where, "operations must be a non-empty list of GraphQL operation names")
        for name in sorted(operations):
            if not _OPERATION.match(name):
                self.fail(where, f"operation {name!r} is not a GraphQL operation name")
        if len(self.problems) > problems:
            return None
        return Rule(
            raw["activity"],
            tuple(paths),
            methods,
            hosts,
            tuple(headers),
            websocket=websocket is True,
            operations=operations,
        )

    def rule_hosts(self, raw: Any, where: Where) -> tuple[str, ...]:
        """Rule hosts: domains as in ``domains``, or patterns with "*" in the first label."""
        if not isinstance(raw, list) or not raw:
            self.fail(where, "hosts must be a non-empty list of domain names")
            return ()
        patterns = [h for h in raw if isinstance(h, str) and "*" in h]
        plain = [h for h in raw if not (isinstance(h, str) and "*" in h)]
        hosts = list(self.domains(plain, where, "hosts")) if plain else []
        for pattern in patterns:
            label, _, parent = pattern.strip().lower().partition(".")
            domain = normalize_domain(parent)
            if not _HOST_PATTERN_LABEL.match(label) or label.count("*") != 1 or domain is None:
                self.fail(
                    where,
                    f"hosts: {pattern!r} is not a host pattern (one '*' inside the first label, "
                    "as in im-api*.tiktok.com)",
                )
            elif is_public_suffix(domain):
                self.fail(where, f"hosts: {pattern!r} would match hosts under a public suffix")
            else:
                hosts.append(f"{label}.{domain}")
        return tuple(hosts)

    def activity_actions(self, raw: Any, where: Where, key: str) -> dict[str, str]:
        field = "actions"  # a platform's actions, or the settings' action table
        if not isinstance(raw, Mapping):
            self.fail(where, f"{key} must map activities to actions", field)
            return {}
        result = {}
        for activity, action in raw.items():
            if activity not in ACTIVITIES:
                self.fail(
                    where,
                    f"{key}: {activity!r} is not an activity ({', '.join(ACTIVITIES)})",
                    field,
                )
            elif activity in FIXED_ACTIONS and action != FIXED_ACTIONS[activity]:
                self.fail(where, f"{key}.{activity}: is always {FIXED_ACTIONS[activity]!r}", field)
            elif action not in ACTIONS:
                self.fail(
                    where,
                    f"{key}.{activity}: {action!r} is not an action ({', '.join(ACTIONS)})",
                    field,
                )
            else:
                result[activity] = action
        return result

    def texts_fit(self, raw: Mapping[str, Any], where: Where, keys: tuple[str, ...]) -> bool:
        """Register fields are short text (the admin site stores them in sized columns)."""
        fits = True
        for key in keys:
            value = raw.get(key)
            if value is not None and len(str(value)) > TEXT_LIMITS[key]:
                self.fail(where, f"{key} is longer than {TEXT_LIMITS[key]} characters", key)
                fits = False
        return fits

    def people_fit(self, people: list[Any], where: Where, key: str) -> bool:
        if len(people) > MAX_PEOPLE or any(len(str(p)) > 200 for p in people):
            message = f"{key}: at most {MAX_PEOPLE} addresses of at most 200 characters"
            self.fail(where, message, key)
            return False
        return True


def _decoded_without_end_newlines(data: bytes) -> str:
    """``data.decode().strip("\n")`` without the stripped copy: a file ends in a newline, and
    ``strip`` would copy all the rest, a third copy of a big list beside its bytes and text."""
    start, end = 0, len(data)
    while end > start and data[end - 1] == 0x0A:
        end -= 1
    while start < end and data[start] == 0x0A:
        start += 1
    return str(memoryview(data)[start:end], "utf-8")
