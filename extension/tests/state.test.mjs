// The service worker's state module against a stand-in for chrome.storage and fetch: policy
// sync with ETags, the event queue under concurrent writers, batches sent once, outages.
import { test } from "node:test";
import assert from "node:assert/strict";

const stores = { local: {}, session: {}, managed: {} };
const tick = () => new Promise((resolve) => setImmediate(resolve));

function area(name) {
  const store = stores[name];
  return {
    async get(keys) {
      await tick(); // like the real storage: every call is a round trip
      const names = keys === null ? Object.keys(store) : [keys].flat();
      return structuredClone(Object.fromEntries(names.filter((k) => k in store).map((k) => [k, store[k]])));
    },
    async set(items) {
      await tick();
      Object.assign(store, structuredClone(items));
    },
    async remove(key) {
      await tick();
      delete store[key];
    },
  };
}

globalThis.chrome = {
  storage: { local: area("local"), session: area("session"), managed: area("managed") },
};

let answer = () => {
  throw new Error("offline");
};
const requests = [];
globalThis.fetch = async (url, init = {}) => {
  requests.push({ url, ...init });
  await tick();
  return answer(url, init);
};

function response(status, body, headers = {}) {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name) => headers[name] ?? null },
    json: async () => body,
  };
}

const state = await import("../background/state.js");
const verdict = {
  url: "https://www.tiktok.com/@a", host: "www.tiktok.com", platform_id: "tiktok",
  category: "social_media", activity: "browse", action: "warn", reason: "r", policy_ref: "p",
};
const POLICY = { format: "staffguard-policy/1", version: "v1", platforms: [], settings: {} };

stores.local.settings = { backendUrl: "https://sg.usd999.org/", apiToken: "tok", user: "JDoe@usd999.org" };

test("policy sync: stored with its ETag, then If-None-Match, and kept through errors", async () => {
  answer = () => response(200, POLICY, { ETag: '"v1"' });
  assert.equal(await state.syncPolicy(), "updated");
  assert.equal(requests.at(-1).url, "https://sg.usd999.org/api/v1/policy");
  assert.equal(requests.at(-1).headers.Authorization, "Bearer tok");
  assert.deepEqual(stores.local.policy, POLICY);
  state.storageChanged({ policy: {} }, "local");

  answer = () => response(304, null);
  assert.equal(await state.syncPolicy(), "unchanged");
  assert.equal(requests.at(-1).headers["If-None-Match"], '"v1"');

  for (const [make, word] of [
    [() => response(500, {}), "error 500"],
    [() => response(200, { format: "something else" }), "refused"],
    [() => { throw new Error("offline"); }, "offline"],
  ]) {
    answer = make;
    assert.equal(await state.syncPolicy(), word);
    assert.deepEqual(await state.policy(), POLICY);
  }
});

test("the queue loses no event when many are recorded at once while offline", async () => {
  answer = () => { throw new Error("offline"); };
  await Promise.all(Array.from({ length: 40 }, (_, i) => state.record({ ...verdict, url: `${verdict.url}?n=${i}` }, "shown")));
  await state.flushEvents();
  const queued = stores.local.events;
  assert.equal(queued.length, 40);
  assert.equal(new Set(queued.map((e) => e.id)).size, 40);
  assert.ok(queued.every((e) => e.url === verdict.url && e.user === "jdoe@usd999.org"));
});

test("back online, every queued event is sent once and leaves the queue", async () => {
  const received = [];
  answer = (url, init) => {
    received.push(...JSON.parse(init.body));
    return response(200, { accepted: 1, duplicates: 0 });
  };
  const before = stores.local.events.map((e) => e.id);
  await state.flushEvents();
  await state.record(verdict, "continued", "club page"); // recorded after: sent as well
  await state.flushEvents();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await state.flushEvents();
  assert.deepEqual(stores.local.events, []);
  const ids = received.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, "nothing sent twice");
  assert.deepEqual(ids.slice(0, 40), before);
  assert.equal(received.at(-1).outcome, "continued");
  assert.equal(received.at(-1).justification, "club page");
});

test("the district proxy is detected by its ping, and its absence too", async () => {
  answer = (url) => (url === "http://staffguard.invalid/ping" ? response(200, { staffguard: "proxy", version: "v1" }) : response(404, {}));
  assert.equal(await state.checkProxy(), true);
  assert.equal(await state.isBehindProxy(), true);
  answer = () => { throw new TypeError("name not resolved"); };
  assert.equal(await state.checkProxy(), false);
  assert.equal(stores.session.behindProxy, false);
});

test("managed settings win, and switching off stops the sync", async () => {
  stores.managed.enabled = false;
  assert.equal(state.storageChanged({ enabled: {} }, "managed"), true);
  assert.equal((await state.config()).enabled, false);
  assert.equal(await state.syncPolicy(), "disabled");
  delete stores.managed.enabled;
  state.storageChanged({}, "managed");
});
