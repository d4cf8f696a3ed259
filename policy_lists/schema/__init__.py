"""The list format of docs/design.md, checked entry by entry into typed values.

Every problem is collected with the file, line, entry and field it belongs to, so a district
admin sees all of them at once and nothing is half-loaded. The modules: ``problems`` (where a
problem is, ``PolicyError``), ``values`` (limits, patterns, the typed entries), ``fields``
(checks of one field: domains, rules, actions) and ``sections`` (whole entries and sections).
"""

from .fields import FieldChecks
from .problems import PolicyError, Problem, Where
from .sections import Checker
from .values import (
    ACCOUNT_KEYS,
    APPROVAL_KEYS,
    EXEMPTION_KEYS,
    MAX_DOMAINS_FILE_BYTES,
    MAX_PEOPLE,
    PLATFORM_KEYS,
    RULE_KEYS,
    SETTINGS_LIMITS,
    SETTINGS_TEXT,
    SETTINGS_URLS,
    TEXT_LIMITS,
    TOP_LEVEL_KEYS,
    Document,
    Exemption,
    PlatformEntry,
    Rule,
    is_time_zone,
    normalize_domain,
)

__all__ = [
    "ACCOUNT_KEYS",
    "APPROVAL_KEYS",
    "EXEMPTION_KEYS",
    "MAX_DOMAINS_FILE_BYTES",
    "MAX_PEOPLE",
    "PLATFORM_KEYS",
    "RULE_KEYS",
    "SETTINGS_LIMITS",
    "SETTINGS_TEXT",
    "SETTINGS_URLS",
    "TEXT_LIMITS",
    "TOP_LEVEL_KEYS",
    "Checker",
    "Document",
    "Exemption",
    "FieldChecks",
    "PlatformEntry",
    "PolicyError",
    "Problem",
    "Rule",
    "Where",
    "is_time_zone",
    "normalize_domain",
]
