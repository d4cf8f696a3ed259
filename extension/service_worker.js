// StaffGuard's service worker: the thin chrome.* glue around the pure modules in lib/.
// Every decision comes from lib/policy.js on the synced policy; a fault here never stops a
// navigation (fail open) and is logged to the worker's console.

import {
  checkProxy,
  config,
  continues,
  flushEvents,
  isBehindProxy,
  policy,
  record,
  rememberContinue,
  signInChanged,
  storageChanged,
  syncPolicy,
  userEmail,
} from "./background/state.js";
import { showBanner } from "./lib/banner.js";
import {
  continueKey,
  firstInWindow,
  forNavigation,
  markerVerdict,
  parseMarker,
} from "./lib/decide.js";
import { classify } from "./lib/policy.js";

const INTERSTITIAL = chrome.runtime.getURL("pages/interstitial.html");

// Interstitials waiting for the staff member's choice, by tab; storage.session backs this up.
const pendingByTab = new Map();

async function pendingFor(tabId) {
  const key = `pending:${tabId}`;
  return pendingByTab.get(tabId) ?? (await chrome.storage.session.get(key))[key];
}

async function banner(tabId, verdict, tone, unlessProxyBanner = false) {
  try {
    await chrome.scripting.executeScript({
      target: { tabId },
      func: showBanner,
      args: [verdict.reason, verdict.policy_ref, tone, unlessProxyBanner],
    });
  } catch (error) {
    console.warn("StaffGuard: banner not shown", error);
  }
}

function safely(handler) {
  return (...args) => handler(...args).catch((error) => console.error("StaffGuard:", error));
}

async function navigationVerdict(url) {
  const cfg = await config();
  const current = await policy();
  if (!current || !cfg.enabled) return null; // no policy yet, or switched off: fail open
  const verdict = classify(current, url, { method: "GET", user: await userEmail() });
  if (verdict.action === "allow") return { verdict, show: null };
  const behindProxy = cfg.deferToProxy && (await isBehindProxy());
  const show = forNavigation(verdict, { continues: await continues(), behindProxy });
  return { verdict, show };
}

// Interstitials replace the navigation before the page loads.
chrome.webNavigation.onBeforeNavigate.addListener(safely(async (details) => {
  if (details.frameId !== 0 || !/^https?:/.test(details.url)) return;
  const decided = await navigationVerdict(details.url);
  if (!decided || !["interstitial", "block"].includes(decided.show)) return;
  const { verdict, show } = decided;
  // Where "Go back" leads: the page the tab showed before (the warned one may have committed).
  const tab = await chrome.tabs.get(details.tabId).catch(() => null);
  const from = /^https?:/.test(tab?.url || "") && tab.url !== details.url ? tab.url : null;
  const pending = { verdict, url: details.url, from };
  pendingByTab.set(details.tabId, pending);
  await Promise.all([
    chrome.tabs.update(details.tabId, { url: `${INTERSTITIAL}?tab=${details.tabId}` }),
    chrome.storage.session.set({ [`pending:${details.tabId}`]: pending }),
  ]);
  await record(verdict, show === "block" ? "blocked" : "shown");
}));

// Main-frame responses the district proxy marked, by tab (storage.session backs this up when
// the worker was restarted between the response and the page's DOMContentLoaded).
const markedPages = new Map();

// Banners go into the page once it has a document: decided here, so no race with the load.
chrome.webNavigation.onDOMContentLoaded.addListener(safely(async (details) => {
  if (details.frameId !== 0 || !/^https?:/.test(details.url)) return;
  const key = `banner:${details.tabId}`;
  let marked = markedPages.get(details.tabId);
  markedPages.delete(details.tabId);
  marked ??= (await chrome.storage.session.get(key))[key];
  await chrome.storage.session.remove(key);
  const decided = await navigationVerdict(details.url);
  if (decided?.show === "banner") {
    const { verdict } = decided;
    await banner(details.tabId, verdict, verdict.action === "notice" ? "notice" : "warn");
    await record(verdict, "shown");
  } else if (marked && marked.url.split("#")[0] === details.url.split("#")[0]) {
    // Flagged by the district proxy's X-StaffGuard header.
    if (!(await config()).enabled) return;
    const current = await policy();
    const local = current ? classify(current, details.url, { user: await userEmail() }) : null;
    const verdict = markerVerdict(marked.marker, local);
    await banner(details.tabId, verdict, verdict.action === "notice" ? "notice" : "warn", true);
  }
}));

// Requests that are not navigations: a comment posted, a message sent (once a minute a tab).
const recentActivity = new Map();
chrome.webRequest.onBeforeRequest.addListener(safely(async (details) => {
  if (details.tabId < 0 || details.type === "main_frame" || details.method === "GET") return;
  const current = await policy();
  if (!current || (await isBehindProxy()) || !(await config()).enabled) return; // proxy marks
  const verdict = classify(current, details.url, { method: details.method, user: await userEmail() });
  if (verdict.activity === "browse" || verdict.action === "allow") return;
  if (!firstInWindow(recentActivity, `${details.tabId}|${continueKey(verdict)}`, Date.now())) return;
  await banner(details.tabId, verdict, verdict.action === "notice" ? "notice" : "warn");
  await record(verdict, "shown");
}), { urls: ["<all_urls>"] });

// The district proxy marks what it let through but flagged: show the matching notice.
chrome.webRequest.onHeadersReceived.addListener(safely(async (details) => {
  if (details.tabId < 0) return;
  const header = details.responseHeaders?.find((h) => h.name.toLowerCase() === "x-staffguard");
  const marker = parseMarker(header?.value);
  if (!marker) return;
  if (details.type === "main_frame") {
    // Kept before any await, so the page's DOMContentLoaded always finds it.
    const marked = { marker, url: details.url };
    markedPages.set(details.tabId, marked);
    await chrome.storage.session.set({ [`banner:${details.tabId}`]: marked });
    return;
  }
  if (!(await config()).enabled) return;
  const current = await policy();
  const local = current ? classify(current, details.url, { method: details.method }) : null;
  const verdict = markerVerdict(marker, local);
  await banner(details.tabId, verdict, marker.action === "notice" ? "notice" : "warn");
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
    const pending = await pendingFor(message.tabId);
    const current = await policy();
    return { pending, settings: current?.settings || {} };
  }
  if (message.type === "choice") {
    const pending = await pendingFor(message.tabId);
    if (!pending) return { ok: false };
    pendingByTab.delete(message.tabId);
    await chrome.storage.session.remove(`pending:${message.tabId}`);
    if (message.choice === "continue" && pending.verdict.action !== "block") {
      const current = await policy();
      const minutes = current?.settings?.continue_minutes || 60;
      await rememberContinue(pending.verdict, minutes);
      await record(pending.verdict, "continued", message.justification);
      await chrome.tabs.update(message.tabId, { url: pending.url });
    } else {
      if (pending.verdict.action !== "block") {
        await record(pending.verdict, "went_back", message.justification);
      }
      return { ok: true, from: pending.from };
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
  if (alarm.name === "flush") {
    await checkProxy(); // a laptop moves between the district network and home
    await flushEvents();
  }
}));
chrome.runtime.onInstalled.addListener(safely(start));
chrome.runtime.onStartup.addListener(safely(start));
chrome.storage.onChanged.addListener((changes, area) => {
  if (storageChanged(changes, area)) safely(start)();
});
chrome.identity?.onSignInChanged?.addListener(signInChanged);
