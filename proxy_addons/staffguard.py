"""mitmproxy entry point: ``mitmdump -s proxy_addons/staffguard.py --set staffguard_policy=SRC``."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from proxy_addons.addon import StaffGuard
    from proxy_addons.upkeep import Upkeep
except ImportError:  # run from a checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from proxy_addons.addon import StaffGuard
    from proxy_addons.upkeep import Upkeep

guard = StaffGuard()
# The request path first, its background work second: when options change, the guard builds
# new parts in its configure and Upkeep's configure, called after it, restarts on them.
addons = [guard, Upkeep(guard)]
