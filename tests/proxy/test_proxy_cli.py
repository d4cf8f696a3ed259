"""``staffguard proxy`` and ``mitmdump_argv``: the proxy as an operator and ``staffguard run``
start it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from policy_lists import DEFAULTS, load_policy
from proxy_addons.cli import mitmdump_argv
from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import free_port, wait_for_port


def test_the_argv_runs_the_venvs_mitmdump_with_the_addon_and_its_options(tmp_path):
    argv = mitmdump_argv(
        ["policy_lists/defaults", "district/"],
        listen_host="0.0.0.0",
        listen_port=3128,
        token="t0k",
        data_dir=tmp_path / "data",
        confdir=tmp_path / "conf",
    )
    assert argv[0] == str(Path(sys.executable).with_name("mitmdump"))
    assert Path(argv[argv.index("-s") + 1]).name == "staffguard.py"
    sets = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--set"]
    assert sets == [
        "staffguard_policy=policy_lists/defaults",
        "staffguard_policy=district/",
        f"staffguard_token_file={tmp_path / 'data' / 'api-token'}",
        f"staffguard_data={tmp_path / 'data'}",
        f"confdir={tmp_path / 'conf'}",
    ]
    assert "t0k" not in " ".join(argv)  # a command line is visible to every account (ps)
    token_file = tmp_path / "data" / "api-token"
    assert token_file.read_text().strip() == "t0k" and token_file.stat().st_mode & 0o077 == 0
    assert argv[argv.index("--listen-host") + 1] == "0.0.0.0"
    assert argv[argv.index("--listen-port") + 1] == "3128"


@pytest.mark.e2e
def test_staffguard_proxy_runs_with_proxy_auth_and_records_the_staff_member(tmp_path):
    district = tmp_path / "district.yaml"
    district.write_text("settings: {continue_minutes: 7}\n")
    port = free_port()
    staffguard = Path(sys.executable).with_name("staffguard")
    argv = [str(staffguard), "proxy", "--policy", str(district), "--listen-port", str(port)]
    argv += ["--data", str(tmp_path / "data"), "--confdir", str(tmp_path / "conf")]
    argv += ["--set", "proxyauth=jdoe@usd999.org:pw"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc)
        anonymous = through(f"http://127.0.0.1:{port}")
        with pytest.raises(urllib.error.HTTPError, match="407"):
            anonymous.open("http://staffguard.invalid/ping", timeout=10)

        staff = through(f"http://jdoe%40usd999.org:pw@127.0.0.1:{port}")
        with staff.open("http://staffguard.invalid/ping", timeout=10) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            answer = json.loads(response.read())
        expected = load_policy(DEFAULTS, district).version
        assert answer == {"staffguard": "proxy", "version": expected}

        navigation = urllib.request.Request("http://www.tiktok.com/@lincolnhigh", headers=NAVIGATE)
        with staff.open(navigation, timeout=10) as response:
            assert b"Continue for district work" in response.read()
        [event] = [json.loads(x) for x in (tmp_path / "data" / "events.jsonl").open()]
        assert (event["user"], event["client"]) == ("jdoe@usd999.org", "127.0.0.1")
    finally:
        proc.terminate()
        proc.wait(10)


def through(proxy: str) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
