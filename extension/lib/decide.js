// What the extension shows for a verdict: pure rules, so Node tests them.

/** The key a "continue" is remembered under: per platform (all its domains) and activity. */
export function continueKey(verdict) {
  return `${verdict.platform_id || verdict.host}|${verdict.activity}`;
}

/** Whether a continue for this verdict is still in force at `now` (ms). */
export function continued(continues, verdict, now) {
  const until = continues[continueKey(verdict)];
  return typeof until === "number" && until > now;
}

/** The continues map with this verdict remembered for `minutes`, expired entries dropped. */
export function remember(continues, verdict, minutes, now) {
  const kept = Object.fromEntries(Object.entries(continues).filter(([, until]) => until > now));
  kept[continueKey(verdict)] = now + minutes * 60_000;
  return kept;
}

/**
 * For a top-level navigation: "interstitial", "block", "banner" or null (nothing to show).
 *
 * Two-way activity on a board-approved platform (its DM pages) gets a banner, not a stop:
 * the staff member is where the board allows, and is reminded of the one-way rule. Behind
 * the district proxy, the proxy shows interstitials, so the extension only adds banners
 * (no warning twice for one navigation).
 */
export function forNavigation(verdict, { continues = {}, now = Date.now(), behindProxy = false } = {}) {
  if (verdict.action === "allow") return null;
  if (verdict.action === "notice") return "banner";
  if (verdict.approved && verdict.activity !== "browse") return "banner";
  if (behindProxy) return null;
  if (verdict.action === "block") return "block";
  return continued(continues, verdict, now) ? null : "interstitial";
}

/** Parse the proxy's `X-StaffGuard: action=warn; activity=comment; ref=...` header. */
export function parseMarker(value) {
  if (typeof value !== "string") return null;
  const fields = {};
  for (const part of value.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) fields[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  if (!["notice", "warn", "block"].includes(fields.action)) return null;
  return { action: fields.action, activity: fields.activity || "browse", ref: fields.ref || "" };
}
