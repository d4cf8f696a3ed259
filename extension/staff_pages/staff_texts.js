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
  "banner_dismiss": "Dismiss",
  "banner": {
    "about": "One notice banner on both paths, in one place: a bar fixed to the bottom of the window, centred, that the staff member can dismiss. At the top it covered the site's own header and menus (most sites pin their navigation there); at the bottom it covers at most the end of a page the person can scroll past, and is seen without moving the page. The proxy draws it as an open <dialog> whose Dismiss button closes it without script (form method=dialog), so a page's Content-Security-Policy cannot keep it from being dismissed; the extension draws the same in a closed shadow root. Styles are inline: a page's stylesheet neither reaches in nor is needed.",
    "host_style": "position:fixed;z-index:2147483647;left:12px;right:12px;bottom:12px;top:auto;width:auto;height:auto;max-width:none;max-height:none;margin:0;padding:0;border:0;background:transparent;color:#1b1f24",
    "box_style": "all:initial;display:block;box-sizing:border-box;position:relative;max-width:52rem;margin:0 auto;padding:10px 44px 10px 14px;font:14px/1.4 system-ui,sans-serif;color:#1b1f24;text-align:left;background:#fff4ce;border:1px solid #c9a800;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.2)",
    "prefix_style": "all:initial;font:inherit;font-weight:700;color:inherit",
    "text_style": "all:initial;font:inherit;color:inherit",
    "link_style": "all:initial;font:inherit;color:#1d4ed8;text-decoration:underline;cursor:pointer",
    "ref_style": "all:initial;display:block;margin-top:2px;font:12px/1.4 system-ui,sans-serif;color:#55606e",
    "dismiss_style": "all:initial;position:absolute;top:6px;right:8px;padding:2px 8px;font:20px/1 system-ui,sans-serif;color:#1b1f24;cursor:pointer",
    "dismiss_symbol": "\u00d7"
  }
};
