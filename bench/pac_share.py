"""What share of a staff member's day reaches the proxy when browsers use the PAC file.

    .venv/bin/python bench/pac_share.py                  # the shipped lists, the day below
    .venv/bin/python bench/pac_share.py --social 0.05 0.10 0.25

The PAC file (``admin_web/pac.py``, ``/proxy.pac``) sends only the domains of platforms that
need a decision to the proxy; everything else goes ``DIRECT``. Node runs the real PAC text's
``FindProxyForURL`` (with ``dnsDomainIs`` as the PAC standard defines it) over every request of
a synthetic day, and this prints the share of requests that got a ``PROXY`` answer.

The day is synthetic, built from the host lists of ``staffguard_testkit/hosts.py``: sites
staff use all day (``NOT_SOCIAL``) and social networks (``SOCIAL``, each as ``host`` and
``www.host``). Within each group a host's requests follow Zipf's law by its place in the list
(the list opens with the most used sites), and ``--social`` sets the social group's share of
all requests; the figure is printed for each share given, so the reader sees how it moves.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admin_web.pac import pac_script  # noqa: E402
from policy_lists import load_policy  # noqa: E402
from staffguard_testkit.hosts import NOT_SOCIAL, SOCIAL  # noqa: E402

REQUESTS = 100_000  # requests in the day
# Runs the PAC text (argv[1]) for each host (argv[2], a JSON list): the hosts sent to a proxy.
NODE = """
const fs = require("fs"), vm = require("vm");
const sandbox = {dnsDomainIs: (host, domain) => host.endsWith(domain)};
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), sandbox);
const hosts = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const answer = (h) => sandbox.FindProxyForURL(`https://${h}/`, h);
const proxied = hosts.filter((h) => answer(h).startsWith("PROXY"));
console.log(JSON.stringify(proxied));
"""


def zipf(hosts: list[str], total: float) -> list[tuple[str, float]]:
    """``total`` requests over ``hosts``, the n-th getting a share proportional to 1/n."""
    weights = [1 / rank for rank in range(1, len(hosts) + 1)]
    scale = total / sum(weights)
    return [(host, w * scale) for host, w in zip(hosts, weights, strict=True)]


def day(social: list[str], social_share: float) -> list[tuple[str, float]]:
    return [
        *zipf(list(NOT_SOCIAL), REQUESTS * (1 - social_share)),
        *zipf(social, REQUESTS * social_share),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--social", type=float, nargs="+", default=[0.05, 0.10, 0.20])
    args = parser.parse_args()
    script = pac_script(load_policy(), "PROXY proxy.usd999.org:8081; DIRECT")
    listed = json.loads(script.split("var domains = ", 1)[1].split(";\n", 1)[0])
    print(
        f"PAC of the shipped lists: {len(listed)} domains; a day of {REQUESTS:,} requests over "
        f"{len(NOT_SOCIAL)} everyday hosts and {2 * len(SOCIAL)} social hosts"
    )
    social = [name for host, _ in SOCIAL for name in (host, f"www.{host}")]
    with tempfile.TemporaryDirectory() as tmp:
        pac, hosts = Path(tmp) / "proxy.pac", Path(tmp) / "hosts.json"
        pac.write_text(script, encoding="utf-8")
        hosts.write_text(json.dumps([*NOT_SOCIAL, *social]))
        done = subprocess.run(
            ["node", "-e", NODE, str(pac), str(hosts)], capture_output=True, text=True, check=True
        )
    proxied = set(json.loads(done.stdout))
    print(
        f"hosts the PAC sends to the proxy: {len(proxied & set(NOT_SOCIAL))} of "
        f"{len(NOT_SOCIAL)} everyday hosts, {len(proxied & set(social))} of {len(social)} "
        "social hosts"
    )
    for share in args.social:
        requests = day(social, share)
        reach = sum(n for host, n in requests if host in proxied) / REQUESTS
        print(
            f"social share {share:4.0%}: {reach:6.1%} of the day's requests reach the proxy, "
            f"{1 - reach:6.1%} go DIRECT"
        )


if __name__ == "__main__":
    main()
