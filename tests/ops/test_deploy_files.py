"""The files in deploy/ pass their own tools' checks, and keep secrets off command lines."""

from __future__ import annotations

import plistlib
import re
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mitmproxy.test import taddons
from realparts import ROOT, missing

from proxy_addons.addon import StaffGuard

DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/staffguard/venv/bin/staffguard"
STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))
UNITS = ("staffguard-web.service", "staffguard-proxy@.service")


def tool(name: str, package: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        missing(f"{name} (Debian: {package})")
    return str(path)


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    analyze = tool("systemd-analyze", "systemd")
    for unit in UNITS:  # this checkout's staffguard stands in for the installed one
        text = (DEPLOY / "systemd" / unit).read_text().replace(INSTALLED, STAFFGUARD)
        (tmp_path / unit).write_text(text)
    done = subprocess.run(
        [analyze, "verify", "staffguard-web.service", "./staffguard-proxy@8081.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_no_secret_on_a_unit_command_line(unit):
    text = (DEPLOY / "systemd" / unit).read_text()
    command = re.search(r"^ExecStart=(.*?)(?<!\\)$", text, re.M | re.S)
    assert command is not None
    assert not re.search(r"token|secret|password|postgresql://", command.group(1), re.I)
    assert "EnvironmentFile=/etc/staffguard/" in text


def test_the_nginx_example_passes_nginx_t(tmp_path):
    nginx = tool("nginx", "nginx")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem", "-days", "2",
         "-subj", "/CN=staffguard.usd999.org"],
        check=True, capture_output=True,
    )  # fmt: skip
    (tmp_path / "logs").mkdir()
    site = (DEPLOY / "nginx" / "staffguard.conf").read_text()
    for installed, here in (
        ("/etc/nginx/staffguard-proxy-headers.conf", tmp_path / "headers.conf"),
        ("/etc/ssl/staffguard/fullchain.pem", tmp_path / "cert.pem"),
        ("/etc/ssl/staffguard/privkey.pem", tmp_path / "key.pem"),
        ("/var/log/nginx/", f"{tmp_path / 'logs'}/"),
    ):
        assert installed in site
        site = site.replace(installed, str(here))
    (tmp_path / "site.conf").write_text(site)
    shutil.copy(DEPLOY / "nginx" / "staffguard-proxy-headers.conf", tmp_path / "headers.conf")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {tmp_path}/logs/access.log;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", tmp_path, "-c", tmp_path / "nginx.conf", "-e", tmp_path / "logs/e.log"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "test is successful" in done.stderr, done.stderr


def test_the_caddy_example_passes_caddy_validate(tmp_path):
    caddy = tool("caddy", "caddy")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem", "-days", "2",
         "-subj", "/CN=staffguard.usd999.org"],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "caddy" / "Caddyfile").read_text()
    for installed, here in (
        ("/etc/ssl/staffguard/fullchain.pem", tmp_path / "cert.pem"),
        ("/etc/ssl/staffguard/privkey.pem", tmp_path / "key.pem"),
        ("/var/log/caddy/", f"{tmp_path}/"),
    ):
        assert installed in site
        site = site.replace(installed, str(here))
    (tmp_path / "Caddyfile").write_text(site)
    done = subprocess.run(
        [caddy, "validate", "--config", tmp_path / "Caddyfile", "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0 and "Valid configuration" in done.stdout + done.stderr, done.stderr


def test_the_logrotate_example_parses_and_matches_the_proxy_files(tmp_path):
    logrotate = tool("logrotate", "logrotate")
    data = tmp_path / "proxy-8081"
    data.mkdir(mode=0o750)
    for name in ("rejected.jsonl", "quarantine.jsonl"):
        (data / name).write_text('{"event": 1}\n')
    config = (DEPLOY / "logrotate" / "staffguard-proxy").read_text()
    (tmp_path / "staffguard-proxy").write_text(config.replace("/var/lib/staffguard", str(tmp_path)))
    done = subprocess.run(
        [logrotate, "-d", "-f", "-s", tmp_path / "state", tmp_path / "staffguard-proxy"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr.lower(), done.stderr
    assert "rejected.jsonl" in done.stderr and "quarantine.jsonl" in done.stderr


def test_the_proxy_config_example_names_options_the_addon_has():
    example = yaml.safe_load((DEPLOY / "mitmproxy-config.yaml.example").read_text())
    addon = StaffGuard()
    with taddons.context(addon) as tctx:
        known = set(tctx.options.keys())
    assert set(example) <= known and {"staffguard_token", "staffguard_secret"} <= set(example)


@pytest.mark.parametrize("example", ["web.env.example", "proxy.env.example"])
def test_every_setting_in_the_env_examples_is_read_somewhere(example):
    names = re.findall(r"^(STAFFGUARD_\w+)=", (DEPLOY / example).read_text(), re.M)
    assert names
    sources = "".join(p.read_text() for p in (ROOT / "admin_web").glob("*.py"))
    sources += "".join(p.read_text() for p in (DEPLOY / "systemd").glob("*.service"))
    for name in names:
        assert f'"{name}"' in sources or f"${{{name}}}" in sources, name


def test_the_apple_profile_carries_the_ca_and_the_pac(tmp_path):
    cert = tmp_path / "ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", tmp_path / "ca.key", "-out", cert, "-days", "2",
         "-subj", "/CN=USD 999 StaffGuard CA"],
        check=True, capture_output=True,
    )  # fmt: skip
    made = subprocess.run(
        [sys.executable, DEPLOY / "apple" / "staffguard_profile.py", "--ca", cert,
         "--pac", "https://staffguard.usd999.org/proxy.pac", "--organization", "USD 999"],
        check=True, capture_output=True,
    )  # fmt: skip
    profile = plistlib.loads(made.stdout)
    assert profile["PayloadType"] == "Configuration" and profile["PayloadScope"] == "System"
    root, proxy = profile["PayloadContent"]
    assert root["PayloadType"] == "com.apple.security.root"
    assert root["PayloadContent"] == ssl.PEM_cert_to_DER_cert(cert.read_text())
    assert proxy["PayloadType"] == "com.apple.proxy.http.global"
    assert proxy["ProxyType"] == "Auto" and proxy["ProxyPACFallbackAllowed"] is True
    assert proxy["ProxyPACURL"] == "https://staffguard.usd999.org/proxy.pac"
    uuids = [p["PayloadUUID"] for p in (profile, root, proxy)]
    assert len(set(uuids)) == 3
