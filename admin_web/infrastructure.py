"""The browser's and the operating system's own background hosts, kept out of the dashboard's
"Unclassified sites staff use most": nobody chose to visit update.googleapis.com.

The list ships as ``data/infrastructure.yaml``, each entry with its source.

>>> is_infrastructure("content-autofill.googleapis.com")
True
>>> is_infrastructure("example.org")
False
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml


@cache
def domains() -> frozenset[str]:
    text = resources.files("admin_web").joinpath("data/infrastructure.yaml").read_text("utf-8")
    return frozenset(str(entry["domain"]).lower() for entry in yaml.safe_load(text)["hosts"])


def is_infrastructure(host: str) -> bool:
    """``host`` is a listed domain or one of its subdomains."""
    labels = host.lower().rstrip(".").split(".")
    return any(".".join(labels[i:]) in domains() for i in range(len(labels) - 1))
