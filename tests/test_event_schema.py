"""The event and the verdict are defined once (policy_lists/schemas/*.schema.json); every place
that spells them out again is checked against that definition here, so none can drift."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String

from admin_web import api, log
from admin_web.models import Event
from admin_web.openapi import OPENAPI
from policy_lists import Verdict, load_policy
from policy_lists import vocabulary as vocab
from policy_lists.event_schema import (
    EVENT,
    EVENT_FIELDS,
    MAX_BATCH,
    SCHEMAS,
    SENT_FIELDS,
    VERDICT,
)
from proxy_addons.spool import JUSTIFICATION, new_event

ROOT = Path(__file__).resolve().parents[1]
PROPS = EVENT["properties"]
VOCABULARY = {
    "source": vocab.SOURCES,
    "category": vocab.CATEGORIES,
    "activity": vocab.ACTIVITIES,
    "action": vocab.ACTIONS,
    "outcome": vocab.OUTCOMES,
}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def problems(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """What in ``value`` breaks ``schema``: the subset of JSON Schema the two files use."""
    found = []
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    python = {"string": str, "boolean": bool, "object": dict, "null": type(None)}
    if kinds and not any(isinstance(value, python[kind]) for kind in kinds):
        return [f"{where}: {value!r} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in enum")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1e9):
            found.append(f"{where}: length {len(value)}")
        if schema.get("format") == "uuid" and not UUID.match(value):
            found.append(f"{where}: not a uuid")
        if schema.get("format") == "date-time" and not value.endswith("Z"):
            found.append(f"{where}: not UTC")
    if isinstance(value, dict):
        found += [
            f"{where}.{key}: missing" for key in schema.get("required", ()) if key not in value
        ]
        found += [f"{where}.{key}: unknown" for key in value if key not in schema["properties"]]
        for key, spec in schema.get("properties", {}).items():
            if key in value:
                found += problems(value[key], spec, f"{where}.{key}")
    return found


def test_the_extension_carries_identical_copies():
    for name in ("event.schema.json", "verdict.schema.json"):
        assert (ROOT / "extension" / "schemas" / name).read_bytes() == (SCHEMAS / name).read_bytes()


@pytest.mark.parametrize("schema", [EVENT, VERDICT], ids=["event", "verdict"])
def test_enums_are_the_vocabulary(schema):
    enums = {k: tuple(p["enum"]) for k, p in schema["properties"].items() if "enum" in p}
    # An event may record what no verdict is: an LMS post linking to social media.
    words = {**VOCABULARY, "activity": vocab.EVENT_ACTIVITIES} if schema is EVENT else VOCABULARY
    assert enums == {k: v for k, v in words.items() if k in schema["properties"]}
    assert set(schema["required"]) <= set(schema["properties"])


def test_openapi_serves_the_schemas_and_the_batch_limit():
    components = OPENAPI["components"]["schemas"]
    assert components["Event"] == EVENT and components["Verdict"] == VERDICT
    post = OPENAPI["paths"]["/api/v1/events"]["post"]
    batch = post["requestBody"]["content"]["application/json"]["schema"]
    assert batch == {"type": "array", "maxItems": MAX_BATCH, "items": EVENT}
    assert api.MAX_EVENTS == MAX_BATCH
    check = OPENAPI["paths"]["/api/v1/check"]["get"]["responses"]["200"]
    assert check["content"]["application/json"]["schema"] == VERDICT


def test_csv_columns_are_the_schema_properties():
    assert log.CSV_FIELDS == EVENT_FIELDS == tuple(PROPS)


def test_the_table_holds_every_field_at_its_full_length():
    columns = Event.__table__.columns
    assert set(EVENT_FIELDS) <= set(columns.keys())
    for key, spec in PROPS.items():
        column = columns[key]
        if isinstance(column.type, String) and column.type.length and "maxLength" in spec:
            assert column.type.length >= spec["maxLength"], key
        if not column.primary_key:
            assert column.nullable == (spec.get("type") == ["string", "null"]), key


def test_the_verdict_class_is_the_schema():
    assert [f.name for f in dataclasses.fields(Verdict)] == list(VERDICT["properties"])
    policy = load_policy()
    for url in ("https://www.instagram.com/direct/inbox/", "https://example.org/", "http://x.y"):
        verdict = policy.classify(url).to_dict()
        assert list(verdict) == list(VERDICT["properties"])
        assert problems(verdict, VERDICT) == [], url


def test_the_proxy_builds_events_of_the_schema():
    policy = load_policy()
    verdict = policy.classify("https://www.instagram.com/direct/inbox/")
    event = new_event(verdict, "continued", "jdoe@usd999.org", "10.1.2.3", "class project")
    assert tuple(event) == SENT_FIELDS and set(EVENT["required"]) <= set(event)
    assert problems(event, EVENT) == []
    long = dataclasses.replace(verdict, reason="r" * 9000, url="https://a.example/" + "p" * 9000)
    event = new_event(long, "shown", "u" * 900, "c" * 900, "j" * 9000)
    assert problems(event, EVENT) == []
    assert len(event["justification"]) == JUSTIFICATION <= PROPS["justification"]["maxLength"]
    assert len(event["reason"]) == PROPS["reason"]["maxLength"]


def sent_event(**overrides: Any) -> dict[str, Any]:
    event = {key: None for key in SENT_FIELDS}
    event.update(id=str(uuid.uuid4()), ts="2026-11-20T14:03:00Z", url="https://a.example/p")
    event.update(
        host="a.example", **{key: spec["enum"][0] for key, spec in PROPS.items() if "enum" in spec}
    )
    return {**event, **overrides}


def test_the_api_check_follows_the_schema():
    row, _ = api._event_row(sent_event())
    assert set(row) == set(SENT_FIELDS)
    assert row["ts"] == dt.datetime(2026, 11, 20, 14, 3)
    for key, spec in PROPS.items():
        if spec.get("readOnly"):  # recorded by the site (reporter), never taken from a sender
            continue
        if "enum" in spec:
            with pytest.raises(ValueError, match=f"^{key} must be one of"):
                api._event_row(sent_event(**{key: "nonsense"}))
        if "maxLength" in spec:
            row, _ = api._event_row(sent_event(**{key: "x" * (spec["maxLength"] + 5)}))
            assert len(row[key]) == spec["maxLength"], key  # cut, not refused
            row, _ = api._event_row(
                sent_event(**{key: None}) if key not in ("url", "host") else sent_event()
            )
            nullable = spec["type"] == ["string", "null"]
            assert key in ("url", "host") or row[key] == (None if nullable else ""), key
        if spec.get("minLength"):
            with pytest.raises(ValueError, match="are required"):
                api._event_row(sent_event(**{key: ""}))
    for key in ("id", "ts"):
        with pytest.raises(ValueError, match=f"^{key} "):
            api._event_row(sent_event(**{key: "nonsense"}))
