"""The Feeds page: category feeds layered below the curated lists (``policy_lists.feeds``).

Admins add, edit, fetch and remove feeds and enable a shipped definition with one action;
approvers and auditors see the list, its status and each feed's last good copy. Any change
that alters what the feeds classify compiles a new policy version, so proxies and extensions
receive it with their next policy fetch.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from policy_lists.feeds import FORMATS, FeedError, parse, shipped_definitions
from policy_lists.vocabulary import CATEGORIES

from .auth import role_required
from .db import get_db
from .feed_updates import add_shipped, limits, settings_of, store, update
from .layer import PolicyError
from .models import Feed
from .versions import commit_change

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
FEED_CATEGORIES = [c for c in CATEGORIES if c != "unclassified"]


@bp.get("/")
@role_required("approver", "auditor")
def index() -> Any:
    feeds = get_db().scalars(select(Feed).order_by(Feed.id)).all()
    added = {f.definition for f in feeds if f.definition}
    return render_template(
        "feeds.html",
        feeds=feeds,
        shipped=[(k, d) for k, d in shipped_definitions().items() if k not in added],
        **_form_context({"format": "domains", "category": "social_media", "schedule_hours": 24}),
    )


def _form_context(values: dict[str, Any], problems: dict[str, list[str]] | None = None) -> dict:
    return {
        "values": values,
        "problems": problems or {},
        "formats": FORMATS,
        "categories": FEED_CATEGORIES,
    }


def _read_form(feed: Feed | None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    form = request.form
    values: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "url": form.get("url", "").strip(),
        "format": form.get("format", ""),
        "member": form.get("member", "").strip(),
        "category": form.get("category", ""),
        "schedule_hours": form.get("schedule_hours", "24").strip() or "0",
        "enabled": form.get("enabled") == "on",
    }
    problems: dict[str, list[str]] = {}
    if not values["name"] or len(values["name"]) > 200:
        problems["name"] = ["a name of 1 to 200 characters, shown in verdicts"]
    else:
        other = get_db().scalar(select(Feed).where(Feed.name == values["name"]))
        if other is not None and other is not feed:
            problems["name"] = [f"a feed named {values['name']!r} exists"]
    if values["url"] and not values["url"].startswith(("https://", "http://")):
        problems["url"] = ["an http:// or https:// address"]
    if values["format"] not in FORMATS:
        problems["format"] = [f"one of {', '.join(FORMATS)}"]
    if values["category"] not in FEED_CATEGORIES:
        problems["category"] = [f"one of {', '.join(FEED_CATEGORIES)}"]
    if not values["schedule_hours"].isdigit():
        problems["schedule_hours"] = ["a whole number of hours (0: fetch by hand only)"]
    else:
        values["schedule_hours"] = int(values["schedule_hours"])
    return values, problems


@bp.post("/")
@role_required()
def add() -> Any:
    values, problems = _read_form(None)
    upload = request.files.get("file")
    if not values["url"] and not (upload and upload.filename):
        problems["url"] = ["give an address to fetch, or upload a file"]
    parsed = None
    if not problems and upload and upload.filename and not values["url"]:
        try:
            data = upload.read(limits()[0] + 1)
            if len(data) > limits()[0]:
                raise FeedError(f"larger than the limit of {limits()[0]:,} bytes")
            parsed = parse(data, values["format"], values["member"], limits()[2])
        except FeedError as error:
            problems["file"] = [str(error)]
    if problems:
        feeds = get_db().scalars(select(Feed).order_by(Feed.id)).all()
        return render_template(
            "feeds.html", feeds=feeds, shipped=[], **_form_context(values, problems)
        ), 400
    db = get_db()
    feed = Feed(**values, status="never", message="", domains="", domain_count=0)
    feed.ignored = feed.invalid = 0
    db.add(feed)
    db.flush()
    if parsed is not None:
        flash(store(db, feed, parsed, g.user.name, "feed uploaded"), "ok")
    else:
        commit_change(db, g.user.name, "feed added", feed.name, None, settings_of(feed))
        flash(f"Added {feed.name}; fetch it now or wait for its schedule.", "ok")
    return redirect(url_for("feeds.index"))


@bp.route("/<int:feed_id>", methods=["GET", "POST"])
@role_required("approver", "auditor")
def edit(feed_id: int) -> Any:
    db = get_db()
    feed = db.get(Feed, feed_id) or abort(404)
    if request.method == "GET":
        return render_template("feed_form.html", feed=feed, **_form_context(settings_of(feed)))
    if g.user.role != "admin":
        abort(403)
    values, problems = _read_form(feed)
    if problems:
        return render_template("feed_form.html", feed=feed, **_form_context(values, problems)), 400
    before = settings_of(feed)
    if (values["url"], values["format"], values["member"]) != (
        feed.url,
        feed.format,
        feed.member,
    ):
        feed.etag = feed.last_modified = None  # a new source is fetched whole
    for key, value in values.items():
        setattr(feed, key, value)
    try:
        db.flush()
        commit_change(db, g.user.name, "feed changed", feed.name, before, settings_of(feed))
    except PolicyError as error:
        db.rollback()
        flash(f"Not saved: {error}", "error")
        return redirect(url_for("feeds.edit", feed_id=feed_id))
    flash(f"Saved {feed.name}.", "ok")
    return redirect(url_for("feeds.index"))


@bp.post("/<int:feed_id>/fetch")
@role_required()
def fetch(feed_id: int) -> Response:
    db = get_db()
    feed = db.get(Feed, feed_id) or abort(404)
    message = update(db, feed, g.user.name)
    flash(message, "error" if feed.status == "failed" else "ok")
    return redirect(url_for("feeds.index"))


@bp.post("/<int:feed_id>/remove")
@role_required()
def remove(feed_id: int) -> Response:
    db = get_db()
    feed = db.get(Feed, feed_id) or abort(404)
    name, before = feed.name, settings_of(feed)
    db.delete(feed)
    db.flush()
    commit_change(db, g.user.name, "feed removed", name, before, None)
    flash(f"Removed {name}.", "ok")
    return redirect(url_for("feeds.index"))


@bp.post("/shipped/<definition_id>")
@role_required()
def enable_shipped(definition_id: str) -> Response:
    """One action: add the shipped definition, enabled, and fetch it now."""
    if definition_id not in shipped_definitions():
        abort(404)
    db = get_db()
    feed = add_shipped(db, definition_id)
    db.commit()
    message = update(db, feed, g.user.name)
    flash(message, "error" if feed.status == "failed" else "ok")
    return redirect(url_for("feeds.index"))


@bp.get("/<int:feed_id>/domains.txt")
@role_required("approver", "auditor")
def domains(feed_id: int) -> Response:
    feed = get_db().get(Feed, feed_id) or abort(404)
    return Response(
        feed.domains + ("\n" if feed.domains else ""),
        200,
        {
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Disposition": f"attachment; filename=feed-{feed.id}-domains.txt",
        },
    )
