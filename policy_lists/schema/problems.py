"""Problems in policy lists: where each one is, and the error that carries them all.

A problem is structured (file, line, entry, field) so that consumers route it without reading
its message: the admin site shows it beside the form field it belongs to. ``str()`` of a
:class:`PolicyError` is the same text as ever: ``file:line: entry: message`` a line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple


@dataclass(frozen=True)
class Where:
    """Where an entry was written: file, line, a human name for the entry and, for a problem,
    the entry's field it concerns ("" for the entry as a whole; "rules" for any rule's)."""

    file: str
    line: int | None = None
    entry: str = ""
    field: str = ""

    def about(self, field: str) -> Where:
        """The same place, for a problem with one of the entry's fields."""
        return replace(self, field=field)

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.entry}" if self.entry else place


class Problem(NamedTuple):
    """One problem; unpacks as ``(where, message)`` like the tuples it replaces."""

    where: Where
    message: str

    @property
    def file(self) -> str:
        return self.where.file

    @property
    def line(self) -> int | None:
        return self.where.line

    @property
    def entry(self) -> str:
        return self.where.entry

    @property
    def field(self) -> str:
        return self.where.field

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class PolicyError(ValueError):
    """One or more problems in policy lists; nothing of the lists was taken."""

    def __init__(self, problems: Iterable[tuple[Where, str]]):
        self.problems = [Problem(where, message) for where, message in problems]
        super().__init__("\n".join(str(problem) for problem in self.problems))
