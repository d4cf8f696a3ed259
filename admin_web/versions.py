"""Policy versions: the district's layer compiled on the base lists and the enabled feeds, stored
as ``PolicyVersion`` rows, and the ``Policy`` of the version in force, built once per version.

Each saved change compiles a new version (``commit_change``); that version's hash is the
``ETag`` of ``/api/v1/policy``. ``layer.py`` reads and writes the layer itself (database ↔
YAML); this module is the only one that compiles it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from policy_lists import Policy, PolicyError, read_text
from policy_lists.compiler import compile_documents
from policy_lists.feeds import FeedLayer
from policy_lists.schema import Document

from .layer import LAYER_NAME, base_documents, layer_data, to_yaml
from .models import AuditRecord, Feed, PolicyVersion


def compile_layer(
    data: dict[str, Any], name: str = LAYER_NAME, feeds: Sequence[FeedLayer] = ()
) -> dict[str, Any]:
    """Compile shipped defaults + this layer (+ feeds, below both); PolicyError names what is
    wrong and where."""
    document = read_text(name, to_yaml(data)) if data else Document()
    return compile_documents([*base_documents(), document], feeds)


def feed_layers(db: Session) -> list[FeedLayer]:
    """The enabled feeds that have a good copy, in the order they were added (first wins)."""
    rows = db.execute(
        select(Feed.name, Feed.category, Feed.domains)
        .where(Feed.enabled.is_(True), Feed.domain_count > 0)
        .order_by(Feed.id)
    )
    return [FeedLayer(name, category, domains) for name, category, domains in rows]


def current(db: Session) -> PolicyVersion:
    """The policy in force, compiling one from the layer when none was stored yet."""
    newest = select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(1)
    # The document (tens of MB with a large feed) loads only when a caller reads it; only
    # id and version are read, as SQLite reads through the document to reach later columns.
    row = db.scalars(newest.options(load_only(PolicyVersion.id, PolicyVersion.version))).first()
    if row is None:
        row = save_version(db, compile_layer(layer_data(db), feeds=feed_layers(db)))
        db.commit()
    return row


def refresh(db: Session) -> None:
    """Recompile on start: a new release's shipped lists take effect without an edit.

    A stored layer the new lists refuse keeps the last good version in force (browsing never
    depends on the admin site being right), and says why in the log.
    """
    try:
        compiled = compile_layer(layer_data(db), feeds=feed_layers(db))
    except PolicyError as error:
        logging.getLogger("staffguard.admin").error(
            "the district's lists do not compile on the current base lists; "
            "keeping the last good policy version:\n%s",
            error,
        )
        return
    newest = db.scalars(select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(1)).first()
    if newest is None or newest.version != compiled["version"]:
        save_version(db, compiled)
        db.commit()


def save_version(db: Session, compiled: dict[str, Any]) -> PolicyVersion:
    row = PolicyVersion(version=compiled["version"], compiled=json.dumps(compiled))
    db.add(row)
    db.flush()
    return row


def current_policy(db: Session) -> Policy:
    """The policy in force, built once per version (the version is a hash of the content)."""
    row = current(db)
    policy = _POLICIES.get(row.version)
    if policy is None:
        policy = _POLICIES[row.version] = Policy(json.loads(row.compiled))
        while len(_POLICIES) > 4:  # a policy with a million-domain feed holds ~200 MB
            _POLICIES.pop(next(iter(_POLICIES)))
    return policy


_POLICIES: dict[str, Policy] = {}


def commit_change(
    db: Session, actor: str, kind: str, target: str, before: Any, after: Any
) -> PolicyVersion:
    """Check the layer as it now stands in the session; on success audit, version, commit.

    On a PolicyError nothing is committed: the caller rolls back and shows the problems.
    """
    compiled = compile_layer(layer_data(db), feeds=feed_layers(db))
    db.add(
        AuditRecord(
            actor=actor[:200], kind=kind[:50], target=target[:200], before=before, after=after
        )
    )
    row = save_version(db, compiled)
    db.commit()
    return row
