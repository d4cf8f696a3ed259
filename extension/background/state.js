// The service worker's state: configuration, policy, who, proxy pairing, continues and the
// event queue. Read from storage once per worker life, kept in memory, and dropped when
// storage changes; every write goes to storage too, so a restarted worker loses nothing.

import { effectiveConfig } from "../lib/config.js";
import { firstInWindow, remember } from "../lib/decide.js";
import { enqueue, flushOnce, makeEvent } from "../lib/events.js";
import { authorizedFetch, deviceChanged } from "./device.js";

const PING_URL = "http://staffguard.invalid/ping";

// A navigation then costs no storage round trip for these, and classify() keeps its compiled
// form of the policy (cached per policy object) from one navigation to the next.
let configCache = null;
let policyCache = null;
let emailCache = null;
let proxyCache = null;
let continuesCache = null;
let policyLoaded; // the policy once read (null: none), for listeners that cannot wait

export function isBehindProxy() {
  proxyCache ??= chrome.storage.session.get("behindProxy").then((r) => r.behindProxy === true);
  return proxyCache;
}

export function continues() {
  continuesCache ??= chrome.storage.local.get("continues").then((r) => r.continues || {});
  return continuesCache;
}

/** Remember a "continue" in memory (the next navigation) and in storage (a restarted worker). */
export async function rememberContinue(verdict, minutes) {
  const next = remember(await continues(), verdict, minutes, Date.now());
  continuesCache = Promise.resolve(next);
  await chrome.storage.local.set({ continues: next });
}

/** The effective configuration: enterprise policy over the options page (lib/config.js). */
export function config() {
  configCache ??= (async () => {
    const managed = await chrome.storage.managed.get(null).catch(() => ({}));
    const { settings = {} } = await chrome.storage.local.get("settings");
    return effectiveConfig(managed, settings).config;
  })();
  return configCache;
}

/** The last good policy synced from the admin site, or null (then nothing is warned). */
export function policy() {
  policyCache ??= chrome.storage.local.get("policy").then(({ policy }) => (policyLoaded = policy || null));
  return policyCache;
}

/** The policy if this worker has read it already (null: there is none), else undefined. */
export function loadedPolicy() {
  return policyLoaded;
}

/** The signed-in profile's email (managed devices), else the configured one, else null. */
export async function userEmail() {
  emailCache ??= (async () => {
    try {
      // Feature check: Firefox has chrome.identity but no getProfileUserInfo.
      const info = await chrome.identity?.getProfileUserInfo?.({ accountStatus: "ANY" });
      return info?.email ? info.email.toLowerCase() : "";
    } catch {
      return "";
    }
  })();
  return (await emailCache) || (await config()).user || null;
}

/** Fetch the policy if it changed; keep the last good one otherwise. */
export async function syncPolicy() {
  const cfg = await config();
  if (!cfg.enabled) return "disabled";
  if (!cfg.backendUrl) return "unconfigured";
  const { etag = "" } = await chrome.storage.local.get("etag");
  const headers = {};
  if (etag && (await policy())) headers["If-None-Match"] = etag;
  try {
    const response = await authorizedFetch(`${cfg.backendUrl}/api/v1/policy`, { headers, cache: "no-store" });
    if (response.status === 304) return "unchanged";
    if (!response.ok) {
      console.error(`StaffGuard: the admin site answered ${response.status} to the policy sync`
        + (response.status === 401 ? " (check enrollmentKey or apiToken)" : ""));
      return `error ${response.status}`;
    }
    const document = await response.json();
    if (document.format !== "staffguard-policy/1" || !Array.isArray(document.platforms)) {
      console.error("StaffGuard: refused a policy in an unknown format");
      return "refused";
    }
    await chrome.storage.local.set({ policy: document, etag: response.headers.get("ETag") || "" });
    return "updated";
  } catch (error) {
    console.warn("StaffGuard: policy sync failed, keeping the last good policy", error);
    return "offline";
  }
}

/** Whether this device reaches the district proxy (which then shows the interstitials). */
export async function checkProxy() {
  let behindProxy = false;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 1500);
  try {
    const response = await fetch(PING_URL, { signal: controller.signal, cache: "no-store" });
    behindProxy = (await response.json()).staffguard === "proxy";
  } catch {
    // Not behind the proxy (".invalid" never resolves elsewhere), or it did not answer.
  } finally {
    clearTimeout(timer);
  }
  proxyCache = Promise.resolve(behindProxy);
  await chrome.storage.session.set({ behindProxy });
  return behindProxy;
}

// Every change to the stored event queue runs after the previous one: two listeners adding
// events at once, or a flush removing sent ones, must never overwrite each other's write.
let queueTail = Promise.resolve();
function updateQueue(change) {
  const run = queueTail.then(async () => {
    const { events = [] } = await chrome.storage.local.get("events");
    const next = change(events);
    await chrome.storage.local.set({ events: next });
    return next;
  });
  queueTail = run.catch((error) => console.error("StaffGuard: event queue", error));
  return run;
}

export async function record(verdict, outcome, justification = "") {
  const cfg = await config();
  if (!cfg.reportEvents) return;
  const event = makeEvent(verdict, outcome, { user: await userEmail(), justification });
  await updateQueue((events) => enqueue(events, event));
  // A flush already running may have read the queue before this event: run one more after it.
  flushEvents()
    .then(() => flushEvents())
    .catch((error) => console.error("StaffGuard: sending events", error));
}

let flushing = null;
/** Send queued events in batches; the queue lives in storage, so a closed browser loses none. */
export function flushEvents() {
  flushing ??= (async () => {
    try {
      const cfg = await config();
      if (!cfg.backendUrl) return;
      const post = async (batch) => {
        const response = await authorizedFetch(`${cfg.backendUrl}/api/v1/events`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(batch),
        });
        return { status: response.status, body: await response.json().catch(() => ({})) };
      };
      for (;;) {
        const { events = [] } = await chrome.storage.local.get("events");
        const result = await flushOnce(events, post);
        if (result.dropped) console.error("StaffGuard: the admin site refused an event", result.dropped);
        // Remove exactly what was handled; events queued meanwhile stay.
        const left = new Set(result.queue);
        const handled = new Set(events.filter((e) => !left.has(e)).map((e) => e.id));
        const remaining = handled.size
          ? await updateQueue((now) => now.filter((e) => !handled.has(e.id)))
          : events;
        if (!result.ok || !remaining.length) break;
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

/** Drop what a storage change makes stale; true when the configuration changed. */
export function storageChanged(changes, area) {
  if (area === "local" && changes.policy) {
    policyCache = null;
    policyLoaded = undefined;
  }
  if (area === "local" && changes.continues) continuesCache = null;
  if (area === "managed" || (area === "local" && changes.settings)) {
    configCache = null;
    deviceChanged();
    return true;
  }
  return false;
}

/** The signed-in account changed: ask again who the staff member is. */
export function signInChanged() {
  emailCache = null;
  deviceChanged(); // enrolled for the previous account: the next call enrolls this one
}

// When each banner was shown and each activity last recorded, in storage.session as well: the
// browser stops an idle worker after 30 s, and a restarted one must not repeat them early.
const recent = new Map();
let recentLoaded = null;

/** Whether `key` was not seen in the last `ms` (and remember it now). */
export async function firstIn(key, ms) {
  recentLoaded ??= chrome.storage.session.get("recent").then(({ recent: stored = {} }) => {
    for (const [k, at] of Object.entries(stored)) if (!recent.has(k)) recent.set(k, at);
  });
  await recentLoaded;
  if (!firstInWindow(recent, key, Date.now(), ms)) return false;
  chrome.storage.session.set({ recent: Object.fromEntries(recent) })
    .catch((error) => console.error("StaffGuard: remembering a notice", error));
  return true;
}

// The yearly training acknowledgment (IIBGC): the admin site says whether this staff member owes
// one; the interstitial then offers a one-time "read and acknowledge" step. The answer is kept
// in storage.session for TRAINING_MS (a failed ask for a minute); a failure means no step.
const TRAINING_MS = 10 * 60_000;
const TRAINING_FAILED_MS = 60_000;

/** {due, period, url} for the configured user, or null (nothing owed, or not known now). */
export async function trainingDue() {
  const cfg = await config();
  const user = await userEmail();
  if (!cfg.backendUrl || !cfg.apiToken || !user) return null;
  const { training } = await chrome.storage.session.get("training");
  if (training && training.user === user && training.until > Date.now()) return training.due;
  let due = null;
  let keep = TRAINING_MS;
  try {
    const response = await fetch(`${cfg.backendUrl}/api/v1/training/status?user=${encodeURIComponent(user)}`, {
      headers: { Authorization: `Bearer ${cfg.apiToken}` },
      cache: "no-store",
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) throw new Error(`the admin site answered ${response.status}`);
    const answer = await response.json();
    if (answer.due === true && /^https?:\/\//i.test(answer.url || "")) {
      due = { period: String(answer.period || ""), url: answer.url };
    }
  } catch (error) {
    console.warn("StaffGuard: training status unknown; no acknowledgment step", error);
    keep = TRAINING_FAILED_MS;
  }
  await chrome.storage.session.set({ training: { user, due, until: Date.now() + keep } });
  return due;
}

/** Record the acknowledgment (POST /api/v1/training/acknowledgments); true when recorded. */
export async function acknowledgeTraining() {
  const cfg = await config();
  const user = await userEmail();
  if (!cfg.backendUrl || !user) return false;
  try {
    const response = await fetch(`${cfg.backendUrl}/api/v1/training/acknowledgments`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${cfg.apiToken}` },
      body: JSON.stringify({ user, via: "extension" }), // how it was made, for the admins' view
      signal: AbortSignal.timeout(5000),
    });
    if (response.status !== 201) throw new Error(`the admin site answered ${response.status}`);
  } catch (error) {
    console.warn("StaffGuard: acknowledgment not recorded", error);
    return false;
  }
  await chrome.storage.session.set({ training: { user, due: null, until: Date.now() + TRAINING_MS } });
  return true;
}
