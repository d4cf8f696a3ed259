// Device enrollment and the signed identity: the pure rules (lib/device.js) and the glue
// (background/device.js) against stand-ins for chrome.storage, chrome.identity, DNR and fetch.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  bearerFor, decisionDomains, enrollmentBody, identityRule, IDENTITY_HEADER, needsEnrollment,
  renewDue, retryDelay,
} from "../lib/device.js";

const POLICY = {
  format: "staffguard-policy/1", version: "v1", settings: {},
  platforms: [
    { id: "tiktok", domains: ["tiktok.com"], rules: [], verdicts: { browse: { action: "warn" } } },
    { id: "google", domains: ["google.com"], rules: [], verdicts: { browse: { action: "allow" } } },
    { id: "sites", domains: ["sites.google.com"], rules: [{ activity: "post" }], verdicts: {} },
    { id: "fbcdn", domains: ["cdn.tiktok.com"], rules: [], verdicts: { browse: { action: "allow" } } },
  ],
};

test("the device token wins over apiToken, for its own admin site only", () => {
  const cfg = { backendUrl: "https://sg.usd999.org", apiToken: "old", enrollmentKey: "k" };
  assert.equal(bearerFor(cfg, { token: "dev", backendUrl: "https://sg.usd999.org" }), "dev");
  assert.equal(bearerFor(cfg, { token: "dev", backendUrl: "https://elsewhere.org" }), "old");
  assert.equal(bearerFor({ ...cfg, apiToken: "" }, null), null);
});

test("an install enrolls with a key and no device token, or when another account signs in", () => {
  const cfg = { backendUrl: "https://sg.usd999.org", enrollmentKey: "k" };
  const enrolled = { token: "t", backendUrl: cfg.backendUrl, user: "a@usd999.org" };
  assert.equal(needsEnrollment(cfg, null), true);
  assert.equal(needsEnrollment(cfg, enrolled, "a@usd999.org"), false);
  assert.equal(needsEnrollment(cfg, enrolled, "b@usd999.org"), true);
  assert.equal(needsEnrollment(cfg, { ...enrolled, backendUrl: "https://x.org" }), true);
  assert.equal(needsEnrollment({ ...cfg, enrollmentKey: "" }, null), false); // apiToken installs
});

test("enrollment needs an email and backs off after failures", () => {
  assert.throws(() => enrollmentBody({ enrollmentKey: "k" }, null, "cb"), /no staff email/);
  assert.deepEqual(enrollmentBody({ enrollmentKey: "k" }, "a@usd999.org", "cb"), {
    enrollment_key: "k", user: "a@usd999.org", device_name: "cb",
  });
  assert.ok(retryDelay(1) < retryDelay(2) && retryDelay(2) < retryDelay(3));
  assert.equal(retryDelay(50), retryDelay(4));
});

test("an identity is renewed five minutes before it expires", () => {
  const now = 1_000_000;
  assert.equal(renewDue(null, now), true);
  assert.equal(renewDue({ assertion: "a", expires: now + 10 * 60_000 }, now), false);
  assert.equal(renewDue({ assertion: "a", expires: now + 4 * 60_000 }, now), true);
});

test("the header goes to the hosts the proxy decides on, and not to allowed children", () => {
  assert.deepEqual(decisionDomains(POLICY), {
    domains: ["tiktok.com", "sites.google.com"], excluded: ["cdn.tiktok.com"],
  });
  const rule = identityRule(POLICY, "jwt");
  assert.equal(rule.action.type, "modifyHeaders");
  assert.deepEqual(rule.action.requestHeaders, [{ header: IDENTITY_HEADER, operation: "set", value: "jwt" }]);
  assert.deepEqual(rule.condition.requestDomains, ["tiktok.com", "sites.google.com"]);
  assert.ok(rule.condition.resourceTypes.includes("main_frame"));
  assert.ok(!rule.condition.resourceTypes.includes("webtransport")); // Firefox refuses it
  assert.equal(identityRule(POLICY, null), null);
  assert.equal(identityRule({ platforms: [POLICY.platforms[1]] }, "jwt"), null);
});

// --- the glue -------------------------------------------------------------------------

const stores = { local: {}, session: {}, managed: {} };
function area(name) {
  const store = stores[name];
  return {
    async get(keys) {
      const names = keys === null ? Object.keys(store) : [keys].flat();
      return structuredClone(Object.fromEntries(names.filter((k) => k in store).map((k) => [k, store[k]])));
    },
    async set(items) { Object.assign(store, structuredClone(items)); },
    async remove(key) { delete store[key]; },
  };
}
let sessionRules = [];
let profileEmail = "";
globalThis.chrome = {
  storage: { local: area("local"), session: area("session"), managed: area("managed") },
  identity: { getProfileUserInfo: async () => ({ email: profileEmail, id: "" }) },
  declarativeNetRequest: {
    async updateSessionRules({ removeRuleIds, addRules }) {
      sessionRules = sessionRules.filter((r) => !removeRuleIds.includes(r.id)).concat(addRules);
    },
  },
};
const calls = [];
let site = () => ({ status: 500, body: {} });
globalThis.fetch = async (url, init = {}) => {
  calls.push({ url, auth: init.headers?.Authorization, body: init.body && JSON.parse(init.body) });
  const { status, body } = site(url, init);
  return { status, ok: status < 300, headers: { get: () => null }, json: async () => body };
};

const device = await import("../background/device.js");
const state = await import("../background/state.js");
const BASE = "https://sg.usd999.org";

test("the managed account enrolls, the device token is used, and a 401 enrolls again", async () => {
  stores.managed = Object.assign(stores.managed, { backendUrl: BASE, enrollmentKey: "sg_key" });
  profileEmail = "Teacher@USD999.org";
  let issued = 0;
  site = (url, init) => {
    if (url.endsWith("/api/v1/devices/enroll")) {
      issued += 1;
      return { status: 201, body: { token: `dev${issued}`, name: "n", user: "teacher@usd999.org" } };
    }
    if (url.endsWith("/api/v1/policy")) {
      return init.headers.Authorization === `Bearer dev${issued}` && issued === 2
        ? { status: 200, body: POLICY }
        : { status: 401, body: {} };
    }
    return { status: 404, body: {} };
  };
  assert.equal(await state.syncPolicy(), "updated");
  const enrolls = calls.filter((c) => c.url.endsWith("/enroll"));
  assert.equal(enrolls.length, 2, "enrolled, refused with 401, enrolled again");
  assert.deepEqual(Object.keys(enrolls[0].body).sort(), ["device_name", "enrollment_key", "user"]);
  assert.equal(enrolls[0].body.user, "teacher@usd999.org");
  assert.equal(enrolls[0].body.enrollment_key, "sg_key");
  assert.match(enrolls[0].body.device_name, /^chrome-/);
  assert.equal(stores.local.device.token, "dev2");
  assert.equal(stores.managed.apiToken, undefined, "no shared token in the managed config");
  assert.deepEqual(calls.filter((c) => c.url.endsWith("/policy")).map((c) => c.auth), ["Bearer dev1", "Bearer dev2"]);
});

test("the identity header rule is in force behind the proxy only, and renewed in time", async () => {
  calls.length = 0;
  const expires = new Date(Date.now() + 15 * 60_000).toISOString();
  site = (url) => (url.endsWith("/api/v1/devices/identity")
    ? { status: 200, body: { assertion: "signed.jwt.1", expires } }
    : { status: 404, body: {} });
  stores.session.behindProxy = false;
  await state.checkProxy().catch(() => {}); // fetch of the ping answers 404 here: not behind
  assert.equal(await device.refreshIdentity(), null);
  assert.deepEqual(sessionRules, []);

  globalThis.fetch = ((real) => async (url, init) => (url.includes("staffguard.invalid")
    ? { status: 200, ok: true, json: async () => ({ staffguard: "proxy" }) }
    : real(url, init)))(globalThis.fetch);
  assert.equal(await state.checkProxy(), true);
  const rule = await device.refreshIdentity();
  assert.equal(rule.action.requestHeaders[0].value, "signed.jwt.1");
  assert.deepEqual(sessionRules.map((r) => r.id), [rule.id]);
  assert.equal(calls.filter((c) => c.url.endsWith("/identity")).at(-1).auth, "Bearer dev2");
  await device.refreshIdentity(); // still fresh: not asked again
  assert.equal(calls.filter((c) => c.url.endsWith("/identity")).length, 1);
});

test("a refused enrollment backs off, and the back-off outlives the worker", async () => {
  for (const key of Object.keys(stores.local)) delete stores.local[key]; // a fresh install
  await device.deviceChanged();
  await new Promise((resolve) => setImmediate(resolve));
  calls.length = 0;
  site = (url) => (url.endsWith("/enroll")
    ? { status: 403, body: { error: "not an email of the district's domains" } }
    : { status: 401, body: {} });
  assert.equal(await device.bearer(), null);
  assert.equal(await device.bearer(), null); // within the back-off: not asked again
  assert.equal(calls.filter((c) => c.url.endsWith("/enroll")).length, 1);
  assert.equal(stores.local.enrollRetry.failures, 1);
  assert.ok(stores.local.enrollRetry.at > Date.now());
});
