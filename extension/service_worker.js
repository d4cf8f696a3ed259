// StaffGuard's service worker: the thin chrome.* glue around the pure modules in lib/.
// Every decision comes from lib/policy.js on the synced policy; a fault here never stops a
// navigation (fail open) and is logged to the worker's console.

import {
  acknowledgeTraining,
  checkProxy,
  config,
  continues,
  firstIn,
  flushEvents,
  isBehindProxy,
  loadedPolicy,
  policy,
  record,
  rememberContinue,
  signInChanged,
  storageChanged,
  syncPolicy,
  trainingDue,
  userEmail,
} from "./background/state.js";
import { applyRules, compileRules, refused } from "./background/dnr.js";
import { refreshIdentity } from "./background/device.js";
import { showBanner } from "./lib/banner.js";
import { TEXTS, permissionUrl } from "./lib/texts.js";
import {
  continueKey,
  forNavigation,
  forRequest,
  headerMap,
  isSend,
  markerVerdict,
  pageKey,
  parseMarker,
} from "./lib/decide.js";
import { classify, exemptionFor, needsBody, platformForHost } from "./lib/policy.js";
import { ACTIVITY, decodedBody, districtHosts, findRoute, requiredPlatforms } from "./lib/lms.js";
import { lmsNotice } from "./lib/texts.js";

const INTERSTITIAL = chrome.runtime.getURL("pages/interstitial.html");
const BANNER_MS = 3 * 60_000; // one banner per tab, platform and activity in this time
const EVENT_MS = 60_000; // one event per platform and activity for requests that are not pages

// Interstitials waiting for the staff member's choice, by tab; storage.session backs this up.
const pendingByTab = new Map();

async function pendingFor(tabId) {
  const key = `pending:${tabId}`;
  return pendingByTab.get(tabId) ?? (await chrome.storage.session.get(key))[key];
}

async function banner(tabId, verdict, unlessProxyBanner = false, text = verdict.reason) {
  try {
    await chrome.scripting.executeScript({
      target: { tabId },
      func: showBanner,
      // The shared words, and a sign-up's permission form link, as the proxy's banner has them.
      args: [text, verdict.policy_ref, unlessProxyBanner, {
        prefix: TEXTS.banner_prefix,
        dismiss: TEXTS.banner_dismiss,
        look: TEXTS.banner,
        link: permissionUrl(verdict, loadedPolicy()?.settings || {}),
        linkText: TEXTS.banner_permission,
      }],
    });
  } catch (error) {
    console.warn("StaffGuard: banner not shown", error);
  }
}

/** Platform names by id, from the synced policy (the proxy's marker names ids only). */
function platformNames(current) {
  return Object.fromEntries((current?.platforms || []).map((p) => [p.id, p.name]));
}

function safely(handler) {
  return (...args) => handler(...args).catch((error) => console.error("StaffGuard:", error));
}

function tabOf(message, sender) {
  return Number.isInteger(message.tabId) ? message.tabId : sender.tab?.id;
}

function hostOf(url) {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

/** The verdict for a page and what to show; `inApp` for in-app navigations, which the district
 * proxy never sees (no request), so the extension shows them even behind it. */
async function navigationVerdict(url, inApp = false) {
  const cfg = await config();
  const current = await policy();
  if (!current || !cfg.enabled) return null; // no policy yet, or switched off: fail open
  const verdict = classify(current, url, { method: "GET", user: await userEmail() });
  if (verdict.action === "allow") return { verdict, show: null };
  const behindProxy = !inApp && cfg.deferToProxy && (await isBehindProxy());
  const show = forNavigation(verdict, { continues: await continues(), behindProxy });
  return { verdict, show };
}

/** The rules the browser enforces by itself (background/dnr.js), brought up to date. */
async function syncRules() {
  const cfg = await config();
  const current = await policy();
  const user = await userEmail();
  const behindProxy = cfg.deferToProxy && (await isBehindProxy());
  const rules = !cfg.enabled || !current ? [] : compileRules(current, {
    exempt: exemptionFor(current, user, null) !== null,
    behindProxy,
    navigations: NAVIGATION_RULES,
    continues: await continues(),
  });
  const inForce = await applyRules(rules);
  await chrome.storage.session.set({ rules: { compiled: rules.length, inForce, refused: refused.slice(0, 20) } });
  navigationRules = rules.some((rule) => rule.action.type === "redirect");
}

// Warned and blocked pages are redirected to the interstitial by the browser itself (rules
// from background/dnr.js), so the platform's server never sees the request. The listener below
// still decides every navigation: it keeps what the interstitial shows, records the event, and
// replaces the page itself where no rule redirected it (rules not yet updated, behind an
// outdated policy). NAVIGATION_RULES off: the listener alone, as before.
const NAVIGATION_RULES = true;
const ARRIVAL_MS = 1500;
let navigationRules = false; // whether the rules in force redirect pages
const navigatingTo = new Map(); // tab -> the URL its top frame is navigating to
const arrivals = new Map(); // tab -> the interstitial asked for its pending choice
const waiting = new Map(); // tab -> callbacks waiting for a pending choice or an arrival

function signal(tabId) {
  for (const resolve of waiting.get(tabId) || []) resolve();
  waiting.delete(tabId);
}

/** Resolves when `ready()` holds for this tab, or after `ms`: to what `ready()` says then. */
async function waitFor(tabId, ready, ms) {
  const deadline = Date.now() + ms;
  while (!ready() && Date.now() < deadline) {
    await new Promise((resolve) => {
      const list = waiting.get(tabId) || [];
      list.push(resolve);
      waiting.set(tabId, list);
      setTimeout(resolve, deadline - Date.now());
    });
  }
  return ready();
}

/** Show the interstitial (or block page) in place of `url` in this tab, and record it. */
async function interstitial(tabId, url, from, verdict, show, redirected = false) {
  const pending = { verdict, url, from };
  pendingByTab.set(tabId, pending);
  signal(tabId);
  await chrome.storage.session.set({ [`pending:${tabId}`]: pending });
  const arrived = redirected && (await waitFor(tabId, () => arrivals.get(tabId) === url, ARRIVAL_MS));
  if (!arrived) await chrome.tabs.update(tabId, { url: `${INTERSTITIAL}?tab=${tabId}` });
  await record(verdict, show === "block" ? "blocked" : "shown");
}

// Interstitials replace the navigation before the page loads.
chrome.webNavigation.onBeforeNavigate.addListener(safely(async (details) => {
  if (details.frameId !== 0 || !/^https?:/.test(details.url)) return;
  navigatingTo.set(details.tabId, details.url);
  arrivals.delete(details.tabId);
  const decided = await navigationVerdict(details.url);
  if (!decided || !["interstitial", "block"].includes(decided.show)) return;
  // Where "Go back" leads: the page the tab showed before (the warned one may have committed).
  const tab = await chrome.tabs.get(details.tabId).catch(() => null);
  const before = tab?.url || "";
  const from = /^https?:/.test(before) && before !== details.url ? before : null;
  const { verdict, show } = decided;
  await interstitial(details.tabId, details.url, from, verdict, show, navigationRules);
}));

// In-app navigations (history.pushState, a new #fragment): a single-page app reaches its DM
// pages without loading a document, and gets the verdict as a navigation would. The page each
// tab shows, without query and fragment: the same page again is not a new navigation.
const pageByTab = new Map();
chrome.webNavigation.onCommitted.addListener((details) => {
  if (details.frameId === 0) pageByTab.set(details.tabId, pageKey(details.url));
});
chrome.tabs.onRemoved.addListener((tabId) => {
  pageByTab.delete(tabId);
  pendingByTab.delete(tabId);
});
const inAppNavigation = safely(async (details) => {
  if (details.frameId !== 0 || !/^https?:/.test(details.url)) return;
  const before = pageByTab.get(details.tabId);
  const page = pageKey(details.url);
  if (before === page) return;
  pageByTab.set(details.tabId, page);
  const decided = await navigationVerdict(details.url, true);
  if (decided?.show === "banner") {
    const { verdict } = decided;
    await banner(details.tabId, verdict);
    await record(verdict, "shown");
  } else if (decided?.show === "interstitial" || decided?.show === "block") {
    const from = before && /^https?:/.test(before) ? before : null;
    await interstitial(details.tabId, details.url, from, decided.verdict, decided.show);
  }
});
chrome.webNavigation.onHistoryStateUpdated.addListener(inAppNavigation);
chrome.webNavigation.onReferenceFragmentUpdated.addListener(inAppNavigation);

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
    await banner(details.tabId, verdict);
    await record(verdict, "shown");
  } else if (marked && marked.url.split("#")[0] === details.url.split("#")[0]) {
    // Flagged by the district proxy's X-StaffGuard header.
    if (!(await config()).enabled) return;
    const current = await policy();
    const local = current ? classify(current, details.url, { user: await userEmail() }) : null;
    const verdict = markerVerdict(marked.marker, local, platformNames(current));
    await banner(details.tabId, verdict, true);
  }
}));

// Requests that are not navigations: a comment posted, a message sent, a chat websocket
// opened. Decided when their headers are known (header rules such as Facebook's
// x-fb-friendly-name), with the body for hosts whose rules read one (operation names).
// Bodies are kept per request only until then, and at most BODY_REQUESTS of them.
const BODY_REQUESTS = 200;
const bodies = new Map();
const URLS = { urls: ["<all_urls>"] };
// Chrome hands Origin, Referer, Cookie and a websocket's handshake headers to listeners only with
// "extraHeaders"; Firefox has no such option (and refuses a listener that asks for it).
const SEND_HEADERS = chrome.webRequest.OnBeforeSendHeadersOptions?.EXTRA_HEADERS
  ? ["requestHeaders", "extraHeaders"]
  : ["requestHeaders"];

chrome.webRequest.onBeforeRequest.addListener((details) => {
  try {
    if (!details.requestBody || !isSend(details)) return;
    const current = loadedPolicy(); // not read yet: keep the body, decide later
    // An LMS assignment being saved (the district's own LMS hosts once the policy is read).
    const lms = findRoute(details.url, details.method, districtHosts(current)) !== null;
    if (!lms && (current === null || (current && !needsBody(current, hostOf(details.url))))) return;
    if (bodies.size >= BODY_REQUESTS) bodies.delete(bodies.keys().next().value);
    bodies.set(details.requestId, details.requestBody);
  } catch (error) {
    console.error("StaffGuard:", error);
  }
}, URLS, ["requestBody"]);

chrome.webRequest.onBeforeSendHeaders.addListener(safely(async (details) => {
  if (!isSend(details)) return;
  const requestBody = bodies.get(details.requestId);
  bodies.delete(details.requestId);
  const headers = headerMap(details.requestHeaders);
  await decideLms(details, headers, requestBody);
  await decideSend(details, headers, requestBody, false);
}), URLS, SEND_HEADERS);

/** IIBGC's "no employee shall require a student to use a social media platform": an LMS
 * assignment or announcement saved with a link to one gets the notice in its tab and one event
 * per platform named (lib/lms.js). Never stopped: the teacher's work goes on. Behind the
 * district proxy, the proxy reads the post and marks the answer, which shows the same notice. */
async function decideLms(details, headers, requestBody) {
  const current = await policy();
  if (!findRoute(details.url, details.method, districtHosts(current))) return;
  const cfg = await config();
  if (!current || !cfg.enabled) return;
  if (cfg.deferToProxy && (await isBehindProxy())) return;
  const body = await decodedBody(requestBody ?? null, headers["content-encoding"]); // as sent: maybe compressed
  const finding = requiredPlatforms(current, details.url, { method: details.method, headers, body });
  if (!finding) return;
  const notice = lmsNotice(finding);
  const host = hostOf(details.url);
  const url = details.url.split("#", 1)[0].split("?", 1)[0];
  const verdicts = finding.platforms.map((p) => ({
    url, host, platform_id: p.id, platform: p.name, category: "social_media", approved: p.approved,
    activity: ACTIVITY, action: "notice", exempt: false, reason: notice,
    policy_ref: TEXTS.student_required.policy_ref,
  }));
  const ids = finding.platforms.map((p) => p.id).join(",");
  if (await firstIn(`banner|${details.tabId}|lms|${ids}`, 60_000)) {
    await banner(details.tabId, verdicts[0], false, notice);
  }
  for (const verdict of verdicts) {
    if (await firstIn(`event|lms|${url}|${verdict.platform_id}`, EVENT_MS)) await record(verdict, "shown");
  }
}

// A send the district's declarativeNetRequest rules stopped never reaches onBeforeSendHeaders.
chrome.webRequest.onErrorOccurred.addListener(safely(async (details) => {
  const requestBody = bodies.get(details.requestId);
  bodies.delete(details.requestId);
  if (details.error !== "net::ERR_BLOCKED_BY_CLIENT" || !isSend(details)) return;
  await decideSend(details, {}, requestBody, true);
}), URLS);
chrome.webRequest.onCompleted.addListener((details) => bodies.delete(details.requestId), URLS);

/** The banner (once per tab, platform and activity in BANNER_MS) and the event (once per
 * platform and activity a minute) for a send on a flagged platform. */
async function decideSend(details, headers, requestBody, stopped) {
  const current = await policy();
  const cfg = await config();
  if (!current || !cfg.enabled) return;
  const host = hostOf(details.url);
  if (!platformForHost(current, host)) return;
  const verdict = classify(current, details.url, {
    method: details.method,
    user: await userEmail(),
    headers,
    // Chrome's requestBody as it is: the engine reads its first 64 KiB for operation names.
    body: requestBody && needsBody(current, host) ? requestBody : null,
    websocket: details.type === "websocket",
  });
  // Behind the district proxy, it marks and records what it sees; a send the extension's own
  // rules stopped never reaches it, so that one the extension reports itself.
  const behindProxy = !stopped && cfg.deferToProxy && (await isBehindProxy());
  const show = forRequest(verdict, { behindProxy });
  if (!show || (stopped && show !== "blocked")) return; // stopped by another extension
  const key = continueKey(verdict);
  const blocked = show === "blocked" && stopped;
  if (await firstIn(`banner|${details.tabId}|${key}`, BANNER_MS)) {
    const text = blocked ? `Not sent: ${verdict.reason}` : verdict.reason;
    await banner(details.tabId, verdict, false, text);
  }
  if (await firstIn(`event|${key}`, EVENT_MS)) await record(verdict, blocked ? "blocked" : "shown");
}

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
  const verdict = markerVerdict(marker, local, platformNames(current));
  await banner(details.tabId, verdict);
}), { urls: ["<all_urls>"] }, ["responseHeaders"]);

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  handleMessage(message, sender).then(reply, (error) => {
    console.error("StaffGuard:", error);
    reply({ error: String(error) });
  });
  return true;
});

async function handleMessage(message, sender) {
  const tabId = tabOf(message, sender);
  if (message.type === "pending") {
    // Redirected by a rule, the interstitial may ask before the listener has decided.
    let pending = await pendingFor(tabId);
    if (!pending && navigatingTo.has(tabId)) {
      await waitFor(tabId, () => pendingByTab.has(tabId), ARRIVAL_MS);
      pending = pendingByTab.get(tabId);
    }
    const current = await policy();
    if (!pending && navigatingTo.has(tabId)) {
      // A rule redirected a page the listener lets through (a rule not yet updated): go on.
      await syncRules();
      await chrome.tabs.update(tabId, { url: navigatingTo.get(tabId) });
      return { pending: null, settings: current?.settings || {}, going: true };
    }
    if (pending) {
      arrivals.set(tabId, pending.url);
      signal(tabId);
    }
    return { pending, settings: current?.settings || {} };
  }
  if (message.type === "choice") {
    const pending = await pendingFor(tabId);
    if (!pending) return { ok: false };
    pendingByTab.delete(tabId);
    await chrome.storage.session.remove(`pending:${tabId}`);
    if (message.choice === "continue" && pending.verdict.action !== "block") {
      const current = await policy();
      const minutes = current?.settings?.continue_minutes || 60;
      await rememberContinue(pending.verdict, minutes);
      await record(pending.verdict, "continued", message.justification);
      await syncRules(); // the browser's own redirect for this platform and activity is lifted
      await chrome.tabs.update(tabId, { url: pending.url });
    } else {
      if (pending.verdict.action !== "block") {
        await record(pending.verdict, "went_back", message.justification);
      }
      return { ok: true, from: pending.from };
    }
    return { ok: true };
  }
  if (message.type === "training") {
    // Asked by the interstitial once it shows: the one-time step, when one is owed.
    return { due: await trainingDue() };
  }
  if (message.type === "acknowledge") {
    const ok = await acknowledgeTraining();
    return { ok, url: ok ? null : (await trainingDue())?.url || null };
  }
  if (message.type === "sync") {
    const result = await syncPolicy();
    await checkProxy();
    await syncRules();
    await refreshIdentity();
    await flushEvents();
    return { result };
  }
  return { error: "unknown message" };
}

async function start() {
  const cfg = await config();
  await chrome.alarms.create("sync", { periodInMinutes: cfg.syncMinutes });
  await chrome.alarms.create("flush", { periodInMinutes: 1 });
  await syncPolicy(); // enrolls first when an enrollment key is configured
  await checkProxy();
  await syncRules();
  await refreshIdentity();
  await flushEvents();
}

chrome.alarms.onAlarm.addListener(safely(async (alarm) => {
  if (alarm.name === "sync") {
    await syncPolicy();
    await checkProxy();
    await syncRules();
  }
  if (alarm.name === "flush") {
    await checkProxy(); // a laptop moves between the district network and home
    await syncRules(); // and continues expire
    await refreshIdentity(); // the identity header only behind the proxy, renewed in time
    await flushEvents();
  }
}));
chrome.runtime.onInstalled.addListener(safely(start));
chrome.runtime.onStartup.addListener(safely(start));
chrome.storage.onChanged.addListener((changes, area) => {
  if (storageChanged(changes, area)) safely(start)();
  else if (area === "local" && (changes.policy || changes.continues)) safely(syncRules)();
  if (area === "local" && changes.policy) safely(refreshIdentity)(); // the hosts it goes to
});
chrome.identity?.onSignInChanged?.addListener(signInChanged);
