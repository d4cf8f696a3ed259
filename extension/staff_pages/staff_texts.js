// Written by `python -m proxy_addons.pages` from proxy_addons/templates/staff.json.
export default {
  "about": "What staff see, for the proxy's pages and the extension's alike (issue 12 item 1, issue 15 item 3). The canonical copy is proxy_addons/templates/staff.json; extension/staff_pages/ holds the same, written by `python -m proxy_addons.pages`.",
  "presentation": {
    "navigation": {"allow": null, "notice": "banner", "warn": "interstitial", "block": "block"},
    "request": {"allow": null, "notice": "banner", "warn": "banner", "block": "blocked"},
    "subresource_fetch_dests": ["audio", "audioworklet", "embed", "font", "image", "manifest", "object", "paintworklet", "report", "script", "serviceworker", "sharedworker", "style", "track", "video", "worker", "xslt"],
    "subresource_resource_types": ["image", "script", "stylesheet", "font", "media", "object", "csp_report", "ping"],
    "subresource_extensions": [".ico", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".css", ".js", ".mjs", ".woff", ".woff2", ".ttf", ".map", ".mp4", ".webm", ".mp3"]
  },
  "activity_words": {
    "browse": "using",
    "comment": "commenting on",
    "direct_message": "direct messaging on",
    "signup": "setting up an account on"
  },
  "title": {"warn": "Check the district policy first", "block": "Blocked by district policy"},
  "heading": {
    "warn": "You are about to start {doing} {platform}",
    "block": "{Doing} {platform} is blocked on district devices",
    "block_browse": "{platform} is blocked on district devices"
  },
  "district_fallback": "Your district",
  "site": "Site",
  "category": "Category",
  "permission_link": "Ask the superintendent for permission",
  "policy_link": "Read policy IIBGC",
  "justification_label": "Why this is district work (optional, kept in the district's log)",
  "go_back": "Go back",
  "continue": "Continue for district work",
  "remember": "Continuing is remembered on this device for {minutes} minutes and is logged.",
  "banner_prefix": "District policy notice:",
  "student_required": {
    "notice": "This {kind} links to {platforms}. {sentence}",
    "kinds": {"assignment": "assignment", "announcement": "announcement", "discussion": "discussion", "post": "post"},
    "and": " and ",
    "policy_ref": "IIBGC, Prohibitions Regarding Social Media Platforms"
  },
  "training": {
    "heading": "Please read and acknowledge the staff social media policy",
    "text": "Once each school year ({period}) staff read policy IIBGC and the district's procedures and acknowledge them. It is one step, and it stops nothing: your choices below stay as they are.",
    "read": "Read the policy and the district's procedures",
    "acknowledge": "I have read it: acknowledge",
    "done": "Thank you: your acknowledgment is recorded."
  },
  "banner_permission": "Request permission with the permission form",
  "banner_style": "all:initial;display:block;font:14px/1.4 system-ui,sans-serif;background:#fff4ce;color:#222;padding:8px 12px;border-bottom:1px solid #c9a800;position:relative;z-index:2147483647",
  "banner_link_style": "all:initial;font:inherit;color:#1d4ed8;text-decoration:underline;cursor:pointer"
};
