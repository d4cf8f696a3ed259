"""What staff see, the same on both paths (issue 12 items 1-5, 15-16): the presentation of a
verdict, the block page's words and Go back, the sign-up banner's permission link, page assets
never logged, and a warning that does not need the platform to be reachable."""

from __future__ import annotations

import argparse
import html
import http.client
import json
import re
import ssl
import subprocess
from pathlib import Path

import pytest
from addon_cases import NAVIGATE, XHR, continue_form, events, flow
from proxy_harness import free_port, wait_for_port

from admin_web.cli import proxy_argv
from policy_lists import Policy
from proxy_addons import flows, pages
from proxy_addons.cli import mitmdump_argv, with_options

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
SCENARIOS = json.loads((VECTORS / "classify.json").read_text(encoding="utf-8"))["scenarios"]
CASES = json.loads((VECTORS / "cases" / "presentation.json").read_text(encoding="utf-8"))["cases"]
IMAGE = {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image", "Accept": "image/*"}


def _policy(scenario: str) -> Policy:
    return Policy(json.loads((VECTORS / SCENARIOS[scenario]).read_text(encoding="utf-8")))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_presentation_vector(case):
    headers = {"Upgrade": "websocket"} if case.get("websocket") else None
    verdict = _policy(case["scenario"]).classify(case["url"], case["method"], headers=headers)
    assert verdict.action == case["expect"]["action"]
    expected = case["expect"]["presentation"]
    assert pages.presentation(verdict, navigation=True) == expected["navigation"]
    assert pages.presentation(verdict, navigation=False) == expected["request"]


def test_the_extension_ships_the_proxys_texts_and_stylesheet():
    shared = ROOT / "extension" / "staff_pages"
    assert (shared / "staff_texts.js").read_text() == pages.extension_texts_module(), (
        "run: python -m proxy_addons.pages"
    )
    assert (shared / "staff.css").read_text() == pages.STYLESHEET
    assert pages.STYLESHEET.strip().splitlines()[0] in pages.interstitial(
        _verdict("x", "browse", "warn"), offer="o", return_path="/", settings={}
    )


def _verdict(platform_id: str, activity: str, action: str):
    policy = _policy("strict")
    verdict = policy.classify("https://x.com/i/flow/signup")
    import dataclasses

    return dataclasses.replace(verdict, platform_id=platform_id, activity=activity, action=action)


def test_a_block_page_is_worded_by_activity_and_offers_go_back_only():
    settings = {"permission_url": "https://admin.usd999.org/requests/new"}
    page = pages.interstitial(
        _verdict("x", "signup", "block"),
        offer="o",
        return_path="/",
        settings=settings,
        blocked=True,
    )
    assert "Setting up an account on X (Twitter) is blocked on district devices" in page
    assert "X (Twitter) is blocked on district devices" not in page.replace("account on X", "")
    assert 'value="back"' in page and "Go back" in page
    assert 'value="continue"' not in page and "justification" not in page
    assert 'href="https://admin.usd999.org/requests/new?platform=x"' in page
    browse = pages.interstitial(
        _verdict("x", "browse", "block"), offer="o", return_path="/", settings={}, blocked=True
    )
    assert "<h1>X (Twitter) is blocked on district devices</h1>" in browse


def test_percent_signs_and_placeholders_in_what_a_page_shows_arrive_as_written():
    """The page is a ``%`` format built once; text that looks like formatting or like a template
    placeholder is shown, never interpreted, and each page's continue time is its own."""
    settings = {"district_name": "USD 9 %(host)s $host 100%", "continue_minutes": 7}
    page = pages.interstitial(
        _verdict("x", "direct_message", "warn"),
        offer="1.%s",
        return_path="/a?b=%d",
        settings=settings,
    )
    assert "USD 9 %(host)s $host 100%" in page
    assert 'value="1.%s"' in page and 'value="/a?b=%d"' in page
    assert "7 minutes" in page and "60 minutes" not in page
    assert "60 minutes" in pages.interstitial(
        _verdict("x", "direct_message", "warn"), offer="o", return_path="/", settings={}
    )


def test_go_back_from_a_block_page_is_not_a_second_event_and_continue_is_refused(guard, tmp_path):
    first = flow("https://bereal.com/")
    guard.request(first)
    assert first.response.status_code == 403
    page = first.response.get_text()
    assert "Go back" in page and "Continue for district work" not in page
    form = continue_form(page)
    for choice in ("continue", "back"):
        post = flow(
            f"https://bereal.com/.staffguard/{choice}",
            "POST",
            {**NAVIGATE, "Sec-Fetch-Site": "same-origin"},
            body=f"offer={form['offer']}&return=/&activity=browse&choice={choice}".encode(),
        )
        post.request.headers["Content-Type"] = "application/x-www-form-urlencoded"
        guard.request(post)
        if choice == "continue":
            assert post.response.status_code == 403  # no pass for a block
        else:
            assert post.response.status_code == 200 and "You went back" in post.response.text
    assert [e["outcome"] for e in events(tmp_path)] == ["blocked"]


def test_a_sign_up_notice_banner_links_the_permission_form():
    verdict = _policy("district").classify("https://www.facebook.com/r.php")
    assert (verdict.action, verdict.activity) == ("notice", "signup")
    settings = {"permission_url": "https://admin.usd999.org/requests/new"}
    text = pages.banner(verdict, settings)
    assert 'href="https://admin.usd999.org/requests/new?platform=facebook"' in text
    assert "permission form" in text
    assert "href" not in pages.banner(verdict, {"permission_url": "javascript:alert(1)"})
    dm = _policy("district").classify("https://web.whatsapp.com/")
    assert "href" not in pages.banner(dm, settings)  # only a sign-up needs permission


def test_the_banner_is_the_shared_bottom_bar_with_a_dismiss_button():
    """Placement and looks come from staff.json's ``banner`` (the extension draws the same);
    where it lands in a real Chromium: test_proxy_browser.py and test_extension_e2e.py."""
    look = pages.TEXTS["banner"]
    assert "position:fixed" in look["host_style"] and "bottom:12px" in look["host_style"]
    assert "top:auto" in look["host_style"]
    verdict = _policy("district").classify("https://web.whatsapp.com/")
    text = pages.banner(verdict)
    assert text.startswith(
        f'<dialog open role="status" aria-label="District policy notice:" '
        f'data-staffguard="notice" style="{look["host_style"]}">'
    )
    assert f'<div style="{look["box_style"]}">' in text
    assert '<form method="dialog"' in text and 'aria-label="Dismiss"' in text
    assert f">{html.escape(verdict.reason)}</span>" in text


def test_page_assets_of_a_flagged_site_are_never_logged(guard, tmp_path):
    for headers, url in [
        (IMAGE, "https://chat.example.net/favicon.ico"),
        ({"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}, "https://chat.example.net/a"),
        ({}, "https://chat.example.net/favicon.ico"),  # no Sec-Fetch headers: by its name
        (IMAGE, "https://bereal.com/logo.png"),  # a blocked platform's asset: 403, no event
    ]:
        f = flow(url, headers=headers)
        guard.request(f)
    assert not (tmp_path / "events.jsonl").exists() or events(tmp_path) == []
    send = flow("https://chat.example.net/api/send", "POST", XHR)  # what a person did
    guard.request(send)
    assert [e["url"] for e in events(tmp_path)] == ["https://chat.example.net/api/send"]


def test_is_subresource_reads_sec_fetch_dest_and_else_the_file_name():
    def req(path, headers):
        return flow(f"https://example.net{path}", headers=headers).request

    assert flows.is_subresource(req("/favicon.ico", IMAGE))
    assert not flows.is_subresource(req("/api", XHR))
    assert not flows.is_subresource(req("/ws", {"Sec-Fetch-Dest": "websocket"}))
    assert not flows.is_subresource(req("/", NAVIGATE))
    assert flows.is_subresource(req("/static/app.js", {}))
    assert not flows.is_subresource(req("/messages", {}))


def test_run_builds_a_quiet_proxy_with_the_operators_options_last(tmp_path):
    args = argparse.Namespace(
        host="127.0.0.1", proxy_port=8081, mitmproxy_options=["connection_strategy=eager"]
    )
    argv = proxy_argv(args, "http://127.0.0.1:8080", "tok", tmp_path)
    assert "--quiet" in argv and "--flow-detail=0" not in argv
    sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
    assert "connection_strategy=eager" in sets and "connection_strategy=lazy" not in sets
    assert not any("tok" in a for a in argv if not a.startswith("staffguard_token_file="))
    token_file = next(a.partition("=")[2] for a in sets if a.startswith("staffguard_token_file="))
    assert Path(token_file).read_text().strip() == "tok"  # by a private file, never in ps
    args.mitmproxy_options = ["proxyauth=@/etc/htpasswd"]
    sets = [a for a in proxy_argv(args, "http://x", "tok", tmp_path) if "=" in a]
    assert "connection_strategy=lazy" in sets and "proxyauth=@/etc/htpasswd" in sets


def test_run_without_a_proxy_does_not_say_ctrl_c_stops_both(tmp_path, monkeypatch, capsys):
    from admin_web import cli

    monkeypatch.setenv("STAFFGUARD_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("STAFFGUARD_DATABASE_URL", raising=False)
    monkeypatch.setattr(cli, "_serve", lambda app, host, port: None)
    monkeypatch.setattr(cli, "_start_retention", lambda app: None)
    monkeypatch.setattr(cli, "start_feed_schedule", lambda app: None)
    args = argparse.Namespace(
        host="127.0.0.1", port=free_port(), proxy_port=8081, no_proxy=True, mitmproxy_options=[]
    )
    assert cli._run(args) == 0
    out = capsys.readouterr().out
    assert "(Ctrl-C stops it)" in out and "both" not in out and "proxy on" not in out


UNREACHABLE = """
platforms:
  - id: gone
    name: Gone Social
    category: social_media
    domains: [gone-social.invalid]
"""


def test_an_unreachable_platform_still_gets_the_interstitial_through_a_real_mitmdump(tmp_path):
    """The default command line (lazy): the CONNECT is answered and the page served although
    gone-social.invalid resolves nowhere; eager, the tunnel itself fails."""
    lists = tmp_path / "district.yaml"
    lists.write_text(UNREACHABLE)
    port = free_port()
    argv = mitmdump_argv(
        [str(lists)], listen_port=port, data_dir=tmp_path / "data", confdir=tmp_path / "conf"
    )
    argv = with_options(argv, [])  # what `staffguard proxy` and `staffguard run` run
    log = (tmp_path / "mitmdump.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc)
        conn = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=20, context=ssl._create_unverified_context()
        )
        conn.set_tunnel("gone-social.invalid", 443)
        conn.request("GET", "/feed", headers=NAVIGATE)
        response = conn.getresponse()
        body = response.read().decode()
        assert response.status == 200
        assert re.search(r"You are about to start using\s+Gone Social", body)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
