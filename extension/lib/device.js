// Device enrollment and the signed identity the district proxy reads: the pure parts (no
// chrome.* calls), tested by Node. The glue is background/device.js.
//
// An install configured with the district's enrollment key (managed policy `enrollmentKey`)
// trades it, with the browser's managed account email, for a device token bound to that email
// (POST /api/v1/devices/enroll). With that token it asks for a 15-minute signed identity
// (/api/v1/devices/identity) and attaches it, behind the district proxy only, to requests for
// the hosts the proxy decides on; the proxy verifies it and takes it off before forwarding.

export const IDENTITY_HEADER = "X-StaffGuard-Identity";
export const IDENTITY_RULE_ID = 1; // a session rule: the dynamic rules are the policy's
export const IDENTITY_PRIORITY = 1_000_000; // above every policy rule, so an allow never hides it
export const RENEW_MS = 5 * 60_000; // ask for a new identity when the one held has less left
export const RETRY_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000]; // after failed enrollments

// Every resource type Chrome and Firefox both know: a condition without them leaves out
// top-level pages (webtransport and webbundle, which Firefox refuses, are left out).
const ALL_TYPES = [
  "main_frame", "sub_frame", "stylesheet", "script", "image", "font", "object", "xmlhttprequest",
  "ping", "csp_report", "media", "websocket", "other",
];

/** The bearer token to call the admin site with: this install's device token (enrolled with
 * this admin site), else the configured apiToken (installs set up before enrollment), else null. */
export function bearerFor(config, device) {
  if (device?.token && device.backendUrl === config.backendUrl) return device.token;
  return config.apiToken || null;
}

/** Whether this install should enroll: an enrollment key and an admin site, and no device token
 * for that site yet, or one for another staff member than the one signed in now. */
export function needsEnrollment(config, device, email = null) {
  if (!config.enrollmentKey || !config.backendUrl) return false;
  if (!device?.token || device.backendUrl !== config.backendUrl) return true;
  return Boolean(email) && device.user !== email;
}

/** The enrollment call's body; an Error saying what is missing when it cannot be made. */
export function enrollmentBody(config, email, deviceName) {
  if (!email) {
    throw new Error("no staff email: the browser gave no managed account email, and no `user` is configured");
  }
  return { enrollment_key: config.enrollmentKey, user: email, device_name: String(deviceName || "").slice(0, 100) };
}

/** How long to wait before enrolling again after `failures` failed attempts in a row. */
export function retryDelay(failures) {
  return RETRY_MS[Math.min(Math.max(failures - 1, 0), RETRY_MS.length - 1)];
}

/** Whether an identity held until `expires` (ms) should be renewed at `now`. */
export function renewDue(identity, now) {
  return !identity?.assertion || !(identity.expires - now > RENEW_MS);
}

/** The hosts the proxy decides on (lib/policy.js's platforms that have rules or a verdict other
 * than allow), and their subdomains another platform owns that needs no decision. */
export function decisionDomains(policy) {
  const decided = (p) => (p.rules || []).length > 0
    || Object.values(p.verdicts || {}).some((v) => v.action !== "allow");
  const owner = new Map();
  for (const p of policy?.platforms || []) for (const d of p.domains || []) owner.set(d, p);
  const domains = [];
  const excluded = [];
  for (const [domain, platform] of owner) {
    if (decided(platform)) {
      domains.push(domain);
      continue;
    }
    for (let at = domain.indexOf("."); at >= 0; at = domain.indexOf(".", at + 1)) {
      const parent = owner.get(domain.slice(at + 1));
      if (parent) {
        if (decided(parent)) excluded.push(domain);
        break;
      }
    }
  }
  return { domains, excluded };
}

/** The declarativeNetRequest rule that sets the identity header on requests to the hosts the
 * proxy decides on, or null (no identity, no policy, or no such host). */
export function identityRule(policy, assertion) {
  if (!assertion) return null;
  const { domains, excluded } = decisionDomains(policy);
  if (!domains.length) return null;
  const condition = { requestDomains: domains, resourceTypes: ALL_TYPES };
  if (excluded.length) condition.excludedRequestDomains = excluded;
  return {
    id: IDENTITY_RULE_ID,
    priority: IDENTITY_PRIORITY,
    action: {
      type: "modifyHeaders",
      requestHeaders: [{ header: IDENTITY_HEADER, operation: "set", value: assertion }],
    },
    condition,
  };
}
