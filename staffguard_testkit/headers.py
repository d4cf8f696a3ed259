"""Request headers as a browser sends them."""

from __future__ import annotations

# A top-level navigation (Chromium's Sec-Fetch headers): the proxy shows its page for these.
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Accept": "text/html"}

# A client with no Sec-Fetch headers (an older browser, a tool): an HTML GET counts as one.
NAVIGATE_PLAIN = {"Accept": "text/html"}
