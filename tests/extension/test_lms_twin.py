"""lib/lms.js and policy_lists/lms.py agree beyond the shared vectors: thousands of generated
LMS saves (links escaped every way a body carries them, bare domains, addresses, wrappers,
JSON inside JSON, forms) through both, the finding compared. Seeded: a failure repeats."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, quote_plus

from policy_lists import compile_sources, load_policy
from policy_lists.lms import required_platforms

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "extension" / "tests" / "lms_twin_runner.mjs"

ROUTES = [
    ("POST", "https://usd999.instructure.com/api/v1/courses/12/assignments"),
    ("PUT", "https://usd999.instructure.com/api/v1/courses/12/discussion_topics/9/"),
    ("POST", "https://usd999.instructure.com/api/graphql"),
    ("PATCH", "https://classroom.googleapis.com/v1/courses/5/courseWork/7?updateMask=x"),
    ("POST", "https://classroom.google.com/u/1/_/ClassroomUi/data/batchexecute?rpcids=a"),
    ("POST", "https://api.schoology.com/v1/groups/3/updates"),
    ("PUT", "https://usd999.schoology.com/v1/sections/3/discussions/4"),
    ("GET", "https://usd999.instructure.com/api/v1/courses/12/assignments"),
    ("POST", "https://usd999.instructure.com/api/v1/courses/12/quizzes"),
    ("POST", "https://www.example.org/api/v1/courses/12/assignments"),
]
LINKS = [
    "https://www.tiktok.com/@lhs", "http://instagram.com/lhs_band", "www.snapchat.com/add/x",
    "tiktok.com/@bare", "https://x.com/lhs/status/1", "https://discord.gg/abc",
    "https://www.khanacademy.org/math", "https://usd999.instructure.com/courses/1",
    "https://t.co/xyz", "https://l.facebook.com/l.php?u=x", "https://www.facebook.com/groups/1",
    "https://www.youtube.com/watch?v=1", "https://www.reddit.com/r/x", "mailto:a@b.org",
    "ana@tiktok.com", "https://example.org/page", "https://WWW.TIKTOK.COM/UPLOAD",
    "https://www.tiktok.com/@lhs.", "(https://www.instagram.com/x)", "https://sub.example.net/a",
    "https://www.tiktok.com/@a?x=1&y=2", "https://www.instagram.com/p/1#c",
]
WORDS = ["Post", "your", "trailer", "on", "TikTok", "and", "tag", "@lhs", "—", "é", "<b>", "</b>",
         "\n", "\t", "&", "=", "%", "+", "\\", "\"", "'", ",", ".", "!", "?", "名前"]


def escaped(link: str, rng: random.Random) -> str:
    """A link as a body may carry it: plain, in an anchor, entity- or percent-escaped."""
    way = rng.randrange(8)
    if way == 6:
        return link.replace(":", "&#58").replace(".", "&#x2E;")  # numeric, ";" optional
    if way == 7:
        return link.replace("&", "&amp").replace("/", "&sol;")  # a legacy name without ";"
    if way == 0:
        return link
    if way == 1:
        return f'<a href="{link}">x</a>'
    if way == 2:
        return link.replace("/", "&#x2F;").replace(":", "&colon;")
    if way == 3:
        return link.replace("&", "&amp;").replace("/", "&#47;")
    if way == 4:
        return link.replace("/", "\\/")
    return quote(link, safe="")


def text(rng: random.Random) -> str:
    parts = [rng.choice(WORDS) for _ in range(rng.randrange(0, 12))]
    for _ in range(rng.randrange(0, 4)):
        parts.insert(rng.randrange(len(parts) + 1), escaped(rng.choice(LINKS), rng))
    return " ".join(parts)


def body(rng: random.Random) -> tuple[str, dict[str, str]]:
    shape = rng.randrange(6)
    if shape == 0:
        return json.dumps({"assignment": {"description": text(rng)}}), {"Content-Type": "application/json"}
    if shape == 1:
        ops = ["CreateDiscussionTopic", "UpdateDiscussionTopic", "GetThing"]
        data = {"operationName": rng.choice(ops), "variables": {"message": text(rng)}}
        return json.dumps([data] if rng.random() < 0.3 else data), {"Content-Type": "application/json"}
    if shape == 2:
        inner = json.dumps([["x7", json.dumps([None, text(rng)]), None, "generic"]])
        return "f.req=" + quote_plus(json.dumps([[inner]])), {
            "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"
        }
    if shape == 3:
        return f"title=x&message={quote_plus(text(rng))}&is_announcement=1", {
            "Content-Type": "application/x-www-form-urlencoded"
        }
    if shape == 4:
        return '{"broken": "' + text(rng), {"Content-Type": "application/json"}
    return text(rng), {}


def test_lms_js_agrees_with_lms_py_on_generated_saves(tmp_path):
    node = shutil.which("node")
    assert node, "node is needed for the extension's twin test"
    rng = random.Random(20261130)
    cases = []
    for _ in range(3000):
        method, url = rng.choice(ROUTES)
        data, headers = body(rng)
        cases.append({"url": url, "method": method, "headers": headers, "body": data})
    policy = load_policy()
    (tmp_path / "policy.json").write_text(json.dumps(compile_sources()))
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(
        [node, str(RUNNER), str(tmp_path / "policy.json"), str(tmp_path / "cases.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    js = json.loads(done.stdout)
    found = 0
    for case, theirs in zip(cases, js, strict=True):
        finding = required_platforms(
            policy, case["url"], case["method"], case["headers"], case["body"]
        )
        ours = finding and [finding.lms, finding.kind, [p[0] for p in finding.platforms]]
        assert ours == theirs, case
        found += bool(ours)
    assert found > 500, "the generator makes findings, not only misses"
