// StaffGuard's service worker: the thin chrome.* glue around the pure modules in lib/.
// Every decision comes from lib/policy.js on the synced policy; a fault here never stops a
// navigation (fail open) and is logged to the worker's console.

import { showBanner } from "./lib/banner.js";
import { effectiveConfig } from "./lib/config.js";
import { forNavigation, parseMarker, remember } from "./lib/decide.js";
import { enqueue, flushOnce, makeEvent } from "./lib/events.js";
import { classify } from "./lib/policy.js";

const PING_URL = "http://staffguard.invalid/ping";
const INTERSTITIAL = chrome.runtime.getURL("pages/interstitial.html");

async function config() {
  const managed = await chrome.storage.managed.get(null).catch(() => ({}));
  const { settings = {} } = await chrome.storage.local.get("settings");
  return effectiveConfig(managed, settings).config;
}

async function policy() {
  const { policy } = await chrome.storage.local.get("policy");
  return policy || null;
}

async function userEmail() {
  try {
    const info = await chrome.identity.getProfileUserInfo({ accountStatus: "ANY" });
    if (info?.email) return info.email;
  } catch {}
  const { settings = {} } = await chrome.storage.local.get("settings");
  return settings.user || null;
}

/** Fetch the policy if it changed; keep the last good one otherwise. */
export async function syncPolicy() {
  const cfg = await config();
  if (!cfg.backendUrl) return "unconfigured";
  const { etag = "" } = await chrome.storage.local.get("etag");
  const headers = { Authorization: `Bearer ${cfg.apiToken}` };
  if (etag && (await policy())) headers["If-None-Match"] = etag;
  try {
    const response = await fetch(`${cfg.backendUrl}/api/v1/policy`, { headers, cache: "no-store" });
    if (response.status === 304) return "unchanged";
    if (!response.ok) return `error ${response.status}`;
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
async function checkProxy() {
  let behindProxy = false;
  try {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    const response = await fetch(PING_URL, { signal: controller.signal, cache: "no-store" });
    behindProxy = (await response.json()).staffguard === "proxy";
  } catch {}
  await chrome.storage.session.set({ behindProxy });
  return behindProxy;
}

async function record(verdict, outcome, justification = "") {
  const cfg = await config();
  if (!cfg.reportEvents) return;
  const event = makeEvent(verdict, outcome, { user: await userEmail(), justification });
  const { events = [] } = await chrome.storage.local.get("events");
  await chrome.storage.local.set({ events: enqueue(events, event) });
  flushEvents();
}

let flushing = null;
/** Send queued events in batches; the queue lives in storage, so a closed browser loses none. */
export function flushEvents() {
  flushing ??= (async () => {
    try {
      const cfg = await config();
      if (!cfg.backendUrl) return;
      const post = async (batch) => {
        const response = await fetch(`${cfg.backendUrl}/api/v1/events`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${cfg.apiToken}` },
          body: JSON.stringify(batch),
        });
        return { status: response.status, body: await response.json().catch(() => ({})) };
      };
      for (;;) {
        const { events = [] } = await chrome.storage.local.get("events");
        const result = await flushOnce(events, post);
        if (result.dropped) console.error("StaffGuard: the admin site refused an event", result.dropped);
        // Remove exactly what was handled; events queued meanwhile stay.
        const handled = new Set(events.filter((e) => !result.queue.includes(e)).map((e) => e.id));
        const { events: now = [] } = await chrome.storage.local.get("events");
        await chrome.storage.local.set({ events: now.filter((e) => !handled.has(e.id)) });
        if (!result.ok || !result.queue.length) break;
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

async function banner(tabId, verdict, tone) {
  try {
    await chrome.scripting.executeScript({
      target: { tabId },
      func: showBanner,
      args: [verdict.reason, verdict.policy_ref, tone],
    });
  } catch (error) {
    console.warn("StaffGuard: banner not shown", error);
  }
}

function safely(handler) {
  return (...args) => handler(...args).catch((error) => console.error("StaffGuard:", error));
}

async function navigationVerdict(url) {
  const current = await policy();
  if (!current) return null; // no policy yet: fail open
  const verdict = classify(current, url, { method: "GET", user: await userEmail() });
  const { continues = {} } = await chrome.storage.local.get("continues");
  const { behindProxy = false } = await chrome.storage.session.get("behindProxy");
  const cfg = await config();
  const show = forNavigation(verdict, { continues, behindProxy: behindProxy && cfg.deferToProxy });
  return { verdict, show };
}

// Interstitials replace the navigation before the page loads.
chrome.webNavigation.onBeforeNavigate.addListener(safely(async (details) => {
  if (details.frameId !== 0 || !/^https?:/.test(details.url)) return;
  const decided = await navigationVerdict(details.url);
  if (!decided || !["interstitial", "block"].includes(decided.show)) return;
  const { verdict, show } = decided;
  await chrome.storage.session.set({ [`pending:${details.tabId}`]: { verdict, url: details.url } });
  await chrome.tabs.update(details.tabId, { url: `${INTERSTITIAL}?tab=${details.tabId}` });
  await record(verdict, show === "block" ? "blocked" : "shown");
}));

// Banners go into the page once it has a document: decided here, so no race with the load.
chrome.webNavigation.onDOMContentLoaded.addListener(safely(async (details) => {
  if (details.frameId !== 0 || !/^https?:/.test(details.url)) return;
  const key = `banner:${details.tabId}`;
  const { [key]: marked } = await chrome.storage.session.get(key);
  await chrome.storage.session.remove(key);
  const decided = await navigationVerdict(details.url);
  if (decided?.show === "banner") {
    const { verdict } = decided;
    await banner(details.tabId, verdict, verdict.action === "notice" ? "notice" : "warn");
    await record(verdict, "shown");
  } else if (marked && marked.url.split("#")[0] === details.url.split("#")[0]) {
    const { verdict } = marked; // flagged by the district proxy's X-StaffGuard header
    await banner(details.tabId, verdict, verdict.action === "notice" ? "notice" : "warn");
  }
}));

// Requests that are not navigations: a comment posted, a message sent.
chrome.webRequest.onBeforeRequest.addListener(safely(async (details) => {
  if (details.tabId < 0 || details.type === "main_frame" || details.method === "GET") return;
  const current = await policy();
  const { behindProxy = false } = await chrome.storage.session.get("behindProxy");
  if (!current || behindProxy) return; // behind the proxy, its X-StaffGuard header tells us
  const verdict = classify(current, details.url, { method: details.method, user: await userEmail() });
  if (verdict.activity === "browse" || verdict.action === "allow") return;
  await banner(details.tabId, verdict, verdict.action === "notice" ? "notice" : "warn");
  await record(verdict, "shown");
}), { urls: ["<all_urls>"] });

// The district proxy marks what it let through but flagged: show the matching notice.
chrome.webRequest.onHeadersReceived.addListener(safely(async (details) => {
  if (details.tabId < 0) return;
  const header = details.responseHeaders?.find((h) => h.name.toLowerCase() === "x-staffguard");
  const marker = parseMarker(header?.value);
  if (!marker) return;
  const current = await policy();
  const verdict = current
    ? classify(current, details.url, { method: details.method })
    : { reason: "The district proxy flagged this request.", policy_ref: marker.ref };
  if (details.type === "main_frame") {
    await chrome.storage.session.set({ [`banner:${details.tabId}`]: { verdict: { ...verdict, action: marker.action }, url: details.url } });
  } else {
    await banner(details.tabId, verdict, marker.action === "notice" ? "notice" : "warn");
  }
}), { urls: ["<all_urls>"] }, ["responseHeaders"]);

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  handleMessage(message, sender).then(reply, (error) => {
    console.error("StaffGuard:", error);
    reply({ error: String(error) });
  });
  return true;
});

async function handleMessage(message, sender) {
  if (message.type === "pending") {
    const key = `pending:${message.tabId}`;
    const { [key]: pending } = await chrome.storage.session.get(key);
    const current = await policy();
    return { pending, settings: current?.settings || {} };
  }
  if (message.type === "choice") {
    const key = `pending:${message.tabId}`;
    const { [key]: pending } = await chrome.storage.session.get(key);
    if (!pending) return { ok: false };
    await chrome.storage.session.remove(key);
    if (message.choice === "continue") {
      const current = await policy();
      const minutes = current?.settings?.continue_minutes || 60;
      const { continues = {} } = await chrome.storage.local.get("continues");
      await chrome.storage.local.set({ continues: remember(continues, pending.verdict, minutes, Date.now()) });
      await record(pending.verdict, "continued", message.justification);
      await chrome.tabs.update(message.tabId, { url: pending.url });
    } else {
      await record(pending.verdict, "went_back", message.justification);
    }
    return { ok: true };
  }
  if (message.type === "sync") {
    const result = await syncPolicy();
    await checkProxy();
    await flushEvents();
    return { result };
  }
  return { error: "unknown message" };
}

async function start() {
  const cfg = await config();
  await chrome.alarms.create("sync", { periodInMinutes: cfg.syncMinutes });
  await chrome.alarms.create("flush", { periodInMinutes: 1 });
  await syncPolicy();
  await checkProxy();
  await flushEvents();
}

chrome.alarms.onAlarm.addListener(safely(async (alarm) => {
  if (alarm.name === "sync") {
    await syncPolicy();
    await checkProxy();
  }
  if (alarm.name === "flush") await flushEvents();
}));
chrome.runtime.onInstalled.addListener(safely(start));
chrome.runtime.onStartup.addListener(safely(start));
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "managed" || (area === "local" && changes.settings)) safely(start)();
});
