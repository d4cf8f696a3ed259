// The chrome.* glue of device enrollment and the signed identity (pure parts: lib/device.js).
// The device token lives in storage.local (never in the managed configuration); a 401 from the
// admin site drops it and the install enrolls again with the district's enrollment key.

import {
  bearerFor,
  enrollmentBody,
  identityRule,
  IDENTITY_RULE_ID,
  needsEnrollment,
  renewDue,
  retryDelay,
} from "../lib/device.js";
import { config, isBehindProxy, policy, userEmail } from "./state.js";

let deviceCache = null;
let enrolling = null;
let identityCache = null; // { assertion, expires (ms) }, in storage.session across worker restarts
let appliedRule = null;

/** The enrolled device ({token, backendUrl, user, name}) or null. */
export function device() {
  deviceCache ??= chrome.storage.local.get("device").then((r) => r.device || null);
  return deviceCache;
}

/** A name for this install the admins see: the managed `deviceName`, else one made once. */
async function deviceName(cfg) {
  if (cfg.deviceName) return cfg.deviceName;
  const { deviceId } = await chrome.storage.local.get("deviceId");
  if (deviceId) return deviceId;
  const made = `chrome-${crypto.randomUUID().slice(0, 8)}`;
  await chrome.storage.local.set({ deviceId: made });
  return made;
}

/** Enroll with the admin site (one attempt at a time, backing off after failures; the back-off
 * is stored, because the browser restarts an idle worker every minute or so, and a school's
 * devices share one address whose refused attempts the admin site throttles). */
export function enroll() {
  enrolling ??= (async () => {
    const { enrollRetry = { failures: 0, at: 0 } } = await chrome.storage.local.get("enrollRetry");
    try {
      const cfg = await config();
      const email = await userEmail();
      if (!needsEnrollment(cfg, await device(), email) || Date.now() < enrollRetry.at) return device();
      const body = enrollmentBody(cfg, email, await deviceName(cfg));
      const response = await fetch(`${cfg.backendUrl}/api/v1/devices/enroll`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        cache: "no-store",
      });
      const answer = await response.json().catch(() => ({}));
      if (response.status !== 201 || !answer.token) {
        throw new Error(`the admin site refused enrollment (${response.status}): ${answer.error || "no reason given"}`);
      }
      const enrolled = { token: answer.token, name: answer.name, user: answer.user, backendUrl: cfg.backendUrl };
      await chrome.storage.local.set({ device: enrolled, enrollRetry: { failures: 0, at: 0 } });
      deviceCache = Promise.resolve(enrolled);
      return enrolled;
    } catch (error) {
      const failures = enrollRetry.failures + 1;
      await chrome.storage.local.set({ enrollRetry: { failures, at: Date.now() + retryDelay(failures) } });
      console.error("StaffGuard: device enrollment failed; trying again later", error);
      return null;
    } finally {
      enrolling = null;
    }
  })();
  return enrolling;
}

/** The bearer token for the admin site, enrolling first when this install should. */
export async function bearer() {
  const cfg = await config();
  let current = await device();
  if (needsEnrollment(cfg, current, await userEmail())) current = await enroll();
  return bearerFor(cfg, current);
}

/** fetch() with the bearer token; a 401 for the device token drops it, enrolls again and
 * retries once. */
export async function authorizedFetch(url, init = {}) {
  const token = await bearer();
  const withToken = (t) => ({ ...init, headers: { ...(init.headers || {}), ...(t ? { Authorization: `Bearer ${t}` } : {}) } });
  const response = await fetch(url, withToken(token));
  if (response.status !== 401 || !token || token !== (await device())?.token) return response;
  console.warn("StaffGuard: the admin site no longer knows this device; enrolling again");
  await forgetDevice();
  const again = await bearer();
  return again && again !== token ? fetch(url, withToken(again)) : response;
}

async function forgetDevice() {
  await chrome.storage.local.remove("device");
  deviceCache = Promise.resolve(null);
  await setIdentity(null);
}

function heldIdentity() {
  identityCache ??= chrome.storage.session.get("identity").then((r) => r.identity || null);
  return identityCache;
}

async function setIdentity(value) {
  identityCache = Promise.resolve(value);
  await chrome.storage.session.set({ identity: value });
}

/** Keep the identity header rule in force behind the district proxy (renewing the identity
 * before it expires), and none elsewhere: off the district network the request would go
 * straight to the platform. */
export async function refreshIdentity() {
  const cfg = await config();
  const current = await device();
  let rule = null;
  if (cfg.enabled && current?.token && current.backendUrl === cfg.backendUrl && (await isBehindProxy())) {
    let held = await heldIdentity();
    if (renewDue(held, Date.now())) {
      // A failed renewal keeps the one held while it lasts (the proxy ignores an expired one).
      held = (await fetchIdentity(cfg)) || (held?.expires > Date.now() ? held : null);
      await setIdentity(held);
    }
    rule = identityRule(await policy(), held?.assertion);
  }
  const wanted = JSON.stringify(rule);
  if (wanted === appliedRule) return rule;
  await chrome.declarativeNetRequest.updateSessionRules({
    removeRuleIds: [IDENTITY_RULE_ID],
    addRules: rule ? [rule] : [],
  });
  appliedRule = wanted;
  return rule;
}

async function fetchIdentity(cfg) {
  try {
    const response = await authorizedFetch(`${cfg.backendUrl}/api/v1/devices/identity`, {
      method: "POST",
      cache: "no-store",
    });
    if (!response.ok) throw new Error(`the admin site answered ${response.status}`);
    const answer = await response.json();
    return { assertion: answer.assertion, expires: Date.parse(answer.expires) };
  } catch (error) {
    console.warn("StaffGuard: no signed identity for the proxy this time", error);
    return null;
  }
}

/** The configuration or the signed-in account changed: enroll again if needed, renew. */
export function deviceChanged() {
  deviceCache = null;
  identityCache = null;
  chrome.storage.local.remove("enrollRetry")
    .catch((error) => console.error("StaffGuard: enrollment back-off", error));
}
