"""Category feeds: each format read, normalised and bounded; feeds layered below every curated
entry, with their name in the verdict; the extension's twin answers alike."""

from __future__ import annotations

import doctest
import gzip
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from policy_lists import Policy, feeds
from policy_lists.compiler import compile_documents
from policy_lists.feeds import FeedError, FeedLayer, parse, shipped_definitions
from policy_lists.loader import DEFAULTS, read_source, read_text

RUNNER = Path(__file__).resolve().parents[2] / "extension" / "tests" / "twin_runner.mjs"
UT1 = "UT1 social_networks"


def policy_with(*feeds: FeedLayer, district: str = "") -> Policy:
    documents = [read_source(DEFAULTS)]
    if district:
        documents.append(read_text("district.yaml", district))
    return Policy(compile_documents(documents, list(feeds)))


def feed(name: str, category: str, *domains: str) -> FeedLayer:
    return FeedLayer(name, category, "\n".join(sorted(domains)))


def test_a_squidguard_domains_file_is_read_with_comments_junk_and_duplicates_dropped(tmp_path):
    path = tmp_path / "domains"
    path.write_text(
        "# UT1 social_networks\ndouban.com\nZhihu.COM.\n.pixiv.net\n192.168.4.4\nlocalhost\n"
        "douban.com\nbücher.example\nnot a domain\ngithub.io\n\n"
    )
    parsed = parse(path.read_bytes(), "domains")
    assert parsed.domains == ("douban.com", "pixiv.net", "xn--bcher-kva.example", "zhihu.com")
    assert parsed.invalid == 4  # the address, localhost, the junk line, a public suffix


def test_a_ut1_tarball_gives_the_chosen_categorys_domains_member(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in (
            ("social_networks/domains", "douban.com\nvk.com\n"),
            ("social_networks/urls", "vk.com/feed\n"),
            ("webmail/domains", "mail.example-webmail.com\n"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            archive.addfile(info, io.BytesIO(text.encode()))
    (tmp_path / "blacklists.tar.gz").write_bytes(buffer.getvalue())
    data = (tmp_path / "blacklists.tar.gz").read_bytes()
    assert parse(data, "domains", "social_networks").domains == ("douban.com", "vk.com")
    assert parse(data, "domains", "webmail").domains == ("mail.example-webmail.com",)
    with pytest.raises(FeedError, match="name the archive member"):
        parse(data, "domains")


def test_a_hosts_file_keeps_the_names_after_each_address(tmp_path):
    path = tmp_path / "hosts"
    path.write_text(
        "# StevenBlack social\n127.0.0.1 localhost\n::1 ip6-localhost\n0.0.0.0 0.0.0.0\n"
        "0.0.0.0 www.vk.com vk.com # Vkontakte\n0.0.0.0 gab.com\njust-a-name.com\n"
    )
    parsed = parse(path.read_bytes(), "hosts")
    assert parsed.domains == ("gab.com", "vk.com"), "www.vk.com is under vk.com: one name a site"
    assert parsed.invalid == 4


def test_a_gzipped_hosts_file_is_unpacked(tmp_path):
    path = tmp_path / "hosts.gz"
    path.write_bytes(gzip.compress(b"0.0.0.0 gab.com\n"))
    assert parse(path.read_bytes(), "hosts").domains == ("gab.com",)
    with pytest.raises(FeedError, match="not a readable"):
        parse(b"\x1f\x8b broken", "hosts")


def test_adblock_rules_with_paths_options_or_exceptions_are_counted_not_half_honoured(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text(
        "[Adblock Plus 2.0]\n! Title: social\n||mewe.com^\n||gettr.com^$important\n"
        "||minds.com^|\n||example.com/ads^\n||tracker.example^$third-party\n@@||ok.example^\n"
        "example.org##.banner\n/regex/\n||10.0.0.1^\n"
    )
    parsed = parse(path.read_bytes(), "adblock")
    assert parsed.domains == ("gettr.com", "mewe.com", "minds.com")
    assert (parsed.ignored, parsed.invalid) == (5, 1)


def test_adguard_registry_service_files_and_services_json_by_group(tmp_path):
    service = tmp_path / "9gag.yml"
    service.write_text("id: 9gag\nname: 9GAG\nrules:\n  - '||9cache.com^'\n  - '||9gag.com^'\n")
    assert parse(service.read_bytes(), "adguard_services").domains == ("9cache.com", "9gag.com")
    catalog = {
        "blocked_services": [
            {"id": "9gag", "group": "social_network", "rules": ["||9gag.com^"]},
            {"id": "kakaotalk", "group": "social_network", "rules": ["||kakao.com^"]},
            {"id": "netflix", "group": "streaming", "rules": ["||netflix.com^"]},
        ]
    }
    data = json.dumps(catalog).encode()
    assert parse(data, "adguard_services", "social_network").domains == ("9gag.com", "kakao.com")
    assert parse(data, "adguard_services", "netflix").domains == ("netflix.com",)
    with pytest.raises(FeedError, match="name the groups"):
        parse(data, "adguard_services")


def test_a_feed_is_bounded_and_an_unknown_format_refused():
    many = "\n".join(f"site{n}.example" for n in range(50)).encode()
    with pytest.raises(FeedError, match="more than the limit of 10"):
        parse(many, "domains", max_domains=10)
    with pytest.raises(FeedError, match="unknown format"):
        parse(many, "csv")


def test_a_feed_site_gets_its_categorys_verdict_naming_the_feed():
    policy = policy_with(feed(UT1, "social_media", "chatter.example", "answers.example"))
    verdict = policy.classify("https://www.chatter.example/group/123?x=1")
    assert (verdict.platform_id, verdict.category, verdict.activity, verdict.action) == (
        "chatter.example",
        "social_media",
        "browse",
        "warn",
    )
    assert verdict.approved is False and verdict.feed == UT1
    assert verdict.reason.startswith(
        "chatter.example is not a board-approved social media platform"
    )
    assert verdict.reason.endswith("(from feed: UT1 social_networks)")
    assert verdict.to_dict()["feed"] == UT1
    assert policy.needs_decision("answers.example")
    assert policy.classify("https://notchatter.example/").platform_id is None


def test_feeds_never_bring_activity_rules():
    policy = policy_with(feed("chat", "direct_messaging", "chat.example"))
    for url, method in (
        ("https://chat.example/messages/new", "POST"),
        ("chat.example/signup", "GET"),
    ):
        verdict = policy.classify(url, method=method)
        assert (verdict.activity, verdict.action, verdict.feed) == ("browse", "notice", "chat")


def test_a_curated_entry_or_its_parent_beats_a_feed():
    policy = policy_with(
        feed(UT1, "social_media", "facebook.com", "m.facebook.com", "classroom.google.com")
    )
    for url in ("https://m.facebook.com/messages/t/1", "https://classroom.google.com/c/1"):
        verdict = policy.classify(url)
        assert verdict.feed is None and "from feed" not in verdict.reason
    assert policy.classify("https://m.facebook.com/messages/t/1").platform_id == "facebook"
    assert policy.classify("https://classroom.google.com/").category != "social_media"


def test_a_district_entry_beats_a_feed_and_the_shipped_lists():
    district = (
        "platforms:\n  - id: chatter\n    name: Chatter Library\n    category: educational\n"
        "    domains: [chatter.example]\n"
    )
    policy = policy_with(feed(UT1, "social_media", "chatter.example"), district=district)
    verdict = policy.classify("https://book.chatter.example/")
    assert (verdict.platform_id, verdict.category, verdict.action, verdict.feed) == (
        "chatter",
        "educational",
        "allow",
        None,
    )


def test_the_first_feed_listing_a_domain_wins_and_the_action_table_applies():
    district = "settings:\n  actions:\n    social_media:\n      unapproved: {browse: notice}\n"
    policy = policy_with(
        feed("first", "social_media", "shared.example"),
        feed("second", "email", "shared.example", "mail.example"),
        district=district,
    )
    assert (policy.classify("shared.example").feed, policy.classify("shared.example").action) == (
        "first",
        "notice",
    )
    mail = policy.classify("https://mail.example/inbox")
    assert (mail.category, mail.action, mail.feed) == ("email", "allow", "second")
    assert "from feed: second" in mail.reason


def test_an_exempt_user_is_allowed_on_a_feed_site_too():
    district = "exemptions:\n  - name: Virtual Academy\n    users: ['@va.usd999.org']\n"
    policy = policy_with(feed(UT1, "social_media", "friends.example"), district=district)
    verdict = policy.classify("https://friends.example/", user="t@va.usd999.org")
    assert (verdict.action, verdict.exempt, verdict.feed) == ("allow", True, UT1)


def test_without_feeds_the_compiled_document_is_as_before():
    assert "feeds" not in compile_documents([read_source(DEFAULTS)])


def test_every_shipped_definition_is_complete_and_none_is_enabled_by_itself():
    definitions = shipped_definitions()
    assert len(definitions) >= 5
    for definition in definitions.values():
        assert definition["url"].startswith("https://")
        assert definition["format"] in ("domains", "hosts", "adblock", "adguard_services")
        assert definition["category"] in ("social_media", "email", "direct_messaging")
        assert definition["license"] and definition["name"]
    names = {d["name"] for d in definitions.values()}
    assert {"UT1 social_networks", "UT1 webmail", "UT1 chat"} <= names


def test_the_extension_twin_gives_feed_sites_the_same_verdicts(tmp_path):
    node = shutil.which("node")
    assert node, "node is required for the twin test"
    compiled = compile_documents(
        [read_source(DEFAULTS)],
        [
            feed(UT1, "social_media", "chatter.example", "facebook.com", "friends.example"),
            feed("UT1 webmail", "email", "mail.example", "friends.example"),
        ],
    )
    urls = [
        "https://www.chatter.example/people/1",
        "https://facebook.com/messages/t/2",
        "friends.example/im",
        "https://x.mail.example/",
        "https://example.org/",
        "not a url",
    ]
    cases = [
        {"url": u, "method": "GET", "user": None, "client_ip": None, "headers": None} for u in urls
    ]
    (tmp_path / "policy.json").write_text(json.dumps(compiled))
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(
        [node, str(RUNNER), str(tmp_path / "policy.json"), str(tmp_path / "cases.json")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    python = Policy(compiled)
    for url, js in zip(urls, json.loads(done.stdout), strict=True):
        assert js == python.classify(url).to_dict(), url
    assert [v["feed"] for v in json.loads(done.stdout)] == [
        UT1,
        None,
        UT1,
        "UT1 webmail",
        None,
        None,
    ]


def test_the_module_examples_run():
    failures, tried = doctest.testmod(feeds)
    assert tried > 0 and failures == 0
