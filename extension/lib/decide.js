// What the extension shows for a verdict: pure rules, so Node tests them.
import { TEXTS, lmsNotice } from "./texts.js";
import { SENTENCE } from "./lms.js";

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
 * The presentation is a function of the verdict's action, defined once in the shared texts
 * (staff.json's `presentation`, which the proxy applies too): one verdict, one presentation on
 * both paths. Behind the district proxy, the proxy answers every navigation (its interstitial,
 * block page or injected notice), so the extension adds nothing of its own: no warning twice
 * for one navigation. It still shows what the proxy marks with its X-StaffGuard header.
 */
export function forNavigation(verdict, { continues = {}, now = Date.now(), behindProxy = false } = {}) {
  if (behindProxy) return null;
  const shown = presentation(verdict, true);
  if (shown === "interstitial" && continued(continues, verdict, now)) return null;
  return shown;
}

/** What the shared rule shows for this verdict, as the proxy's `pages.presentation`. */
export function presentation(verdict, navigation) {
  const rule = TEXTS.presentation;
  if (navigation) return rule.navigation[verdict.action] ?? null;
  if (verdict.activity === "browse") return null;
  return rule.request[verdict.action] ?? null;
}

/** A page asset (an image, a script, a favicon): nothing a person did, never an event. */
export function isSubresource(details) {
  return TEXTS.presentation.subresource_resource_types.includes(details.type);
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
  const marker = { action: fields.action, activity: fields.activity || "browse", ref: fields.ref || "" };
  if (marker.activity === "student_required") {
    // An LMS post linking to social media: the kind of post and the platform ids, no more.
    marker.kind = fields.kind || "post";
    marker.platforms = (fields.platforms || "").split(",").map((p) => p.trim()).filter(Boolean);
  }
  return marker;
}

/**
 * The verdict a banner shows for a request the district proxy marked (`names`: platform names
 * by id, from the synced policy, for an LMS post's notice). The local verdict when
 * the synced policy agrees the request is flagged; otherwise (an older policy, none yet) the
 * marker's own action and policy section, so the proxy's word is never lost.
 */
export function markerVerdict(marker, local, names = {}) {
  if (marker.activity === "student_required") {
    // The proxy read an LMS post linking to social media: the same notice as lib/lms.js gives.
    const platforms = marker.platforms.map((id) => ({ id, name: names[id] || id }));
    return {
      ...(local || {}),
      action: "notice",
      activity: marker.activity,
      reason: lmsNotice({ kind: marker.kind, platforms, sentence: SENTENCE }),
      policy_ref: marker.ref,
    };
  }
  if (local && local.action !== "allow") return { ...local, action: marker.action };
  const what = ACTIVITY_LABELS[marker.activity] || "This activity";
  return {
    ...(local || {}),
    action: marker.action,
    activity: marker.activity,
    reason: `${what} is flagged by the district's StaffGuard proxy.`,
    policy_ref: marker.ref,
  };
}

const ACTIVITY_LABELS = {
  browse: "This site",
  comment: "Commenting here",
  direct_message: "Direct messaging here",
  signup: "Setting up an account here",
};

/**
 * Whether `key` is seen for the first time in `ms` (and remember it): a DM inbox polls every
 * few seconds, and neither the staff member nor the log needs a notice for each request.
 * `recent` is a Map; entries older than the window are dropped as it grows.
 */
export function firstInWindow(recent, key, now, ms = 60_000) {
  const last = recent.get(key);
  if (last !== undefined && now - last < ms) return false;
  if (recent.size > 1000) {
    for (const [k, at] of recent) if (now - at >= ms) recent.delete(k);
  }
  recent.set(key, now);
  return true;
}

/**
 * For a request that is not a navigation (a comment POST, a message sent, a chat websocket):
 * "banner" (notice or warn: the staff member is reminded where it happens), "blocked" (the
 * district's action table says block; declarativeNetRequest stops what it can express), or
 * null. Page assets (browse) never get a banner; behind the district proxy, the proxy marks
 * what it flagged (X-StaffGuard) and the extension shows that instead.
 */
export function forRequest(verdict, { behindProxy = false } = {}) {
  if (behindProxy) return null;
  return presentation(verdict, false);
}

/** Whether a request that is not a navigation is worth deciding: sends, and websockets. */
export function isSend(details) {
  if (details.tabId < 0 || details.type === "main_frame" || isSubresource(details)) return false;
  if (details.type === "websocket") return true;
  return !["GET", "HEAD", "OPTIONS"].includes((details.method || "GET").toUpperCase());
}

/** webRequest's `[{name, value}]` request headers as the `{name: value}` classify() takes. */
export function headerMap(list) {
  const headers = {};
  for (const { name, value } of list || []) {
    if (typeof name === "string" && typeof value === "string") headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** The URL without query and fragment: what in-app navigations are compared by. */
export function pageKey(url) {
  return typeof url === "string" ? url.split("#", 1)[0].split("?", 1)[0] : "";
}
