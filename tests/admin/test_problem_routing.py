"""Form problems go beside the field each problem names (``Problem.field``), whatever its
wording: a message starting with "a", "unknown" or a field's name routes no differently."""

from __future__ import annotations

from admin_web.layer import FORM_FIELDS, problems_by_field
from policy_lists import PolicyError
from policy_lists.schema import Where


def error(*problems: tuple[str, str]) -> PolicyError:
    return PolicyError(
        [(Where("form", 3, "platform 'x'", field), text) for field, text in problems]
    )


def test_each_problem_goes_to_the_field_it_names():
    routed = problems_by_field(
        error(
            ("rules", "a rule needs paths, hosts, headers, operations or websocket"),
            ("domains", "domain 'x.example' is also claimed by base.yaml:3"),
            ("networks", "network '10.77.1.0/16': has host bits set"),
            ("id", "duplicate id; also defined at base.yaml:3"),
        )
    )
    assert routed == {
        "rules": ["a rule needs paths, hosts, headers, operations or websocket"],
        "domains": ["domain 'x.example' is also claimed by base.yaml:3"],
        "networks": ["network '10.77.1.0/16': has host bits set"],
        "id": ["duplicate id; also defined at base.yaml:3"],
    }


def test_a_problem_with_no_field_shown_goes_above_the_form():
    routed = problems_by_field(
        error(
            ("", "an exemption needs users or networks"),
            ("platform", "unknown platform 'chater'"),
            ("note", "note must be non-empty text"),
            ("", "name: looks like a field but is not one"),
        )
    )
    assert list(routed) == [""] and len(routed[""]) == 4


def test_only_fields_a_form_shows_are_routed():
    assert {"platform", "source", "note", "reference", "sponsor"}.isdisjoint(FORM_FIELDS)
