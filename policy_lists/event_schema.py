"""The event and the verdict, defined once, as JSON Schema files in ``policy_lists/schemas/``.

Python and the extension's JavaScript both need them and the extension has no build step, so
the definition is data both can read: the admin site derives its API check, OpenAPI components
and CSV columns from these dictionaries, the proxy builds its events from them, and
``extension/schemas/`` holds identical copies that the node tests check ``makeEvent`` and
``classify`` against (tests/test_event_schema.py keeps the copies and every consumer in step).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).with_name("schemas")
MAX_BATCH = 1000  # events in one POST /api/v1/events


def _load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return schema


EVENT = _load("event.schema.json")
VERDICT = _load("verdict.schema.json")
EVENT_FIELDS = tuple(EVENT["properties"])  # every column of an event, in the documented order
SENT_FIELDS = tuple(k for k, p in EVENT["properties"].items() if not p.get("readOnly"))


def max_length(field: str) -> int:
    """The longest text an event field holds (the admin site cuts what is longer)."""
    limit: int = EVENT["properties"][field]["maxLength"]
    return limit


def nullable(field: str) -> bool:
    """Whether an empty or missing text is stored as null (else as "")."""
    kind = EVENT["properties"][field].get("type")
    return isinstance(kind, list) and "null" in kind
