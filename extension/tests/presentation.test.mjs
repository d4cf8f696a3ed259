// One verdict, one presentation (issue 12 item 1): the extension shows for each shared vector
// what the proxy shows (tests/engine/test_presentation.py checks the proxy's side), and its
// words and stylesheet are the proxy's own (extension/staff_pages/ is a copy of them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { classify } from "../lib/policy.js";
import { forNavigation, forRequest, isSend, presentation } from "../lib/decide.js";
import { TEXTS, heading, interstitialText, permissionUrl } from "../lib/texts.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const read = (path) => readFileSync(join(root, path), "utf8");
const vectors = JSON.parse(read("tests/vectors/classify.json"));
const cases = JSON.parse(read("tests/vectors/cases/presentation.json")).cases;
const scenarios = Object.fromEntries(
  Object.entries(vectors.scenarios).map(([name, file]) => [name, JSON.parse(read(`tests/vectors/${file}`))]),
);

test("the presentation vectors cover every navigation presentation", () => {
  const shown = new Set(cases.map((c) => c.expect.presentation.navigation));
  assert.deepEqual([...shown].sort(), ["banner", "block", "interstitial", null].sort());
});

for (const c of cases) {
  test(`presentation: ${c.name}`, () => {
    const verdict = classify(scenarios[c.scenario], c.url, {
      method: c.method, headers: c.headers, websocket: c.websocket ?? false,
    });
    assert.equal(verdict.action, c.expect.action);
    assert.equal(forNavigation(verdict), c.expect.presentation.navigation);
    assert.equal(forRequest(verdict), c.expect.presentation.request);
    assert.equal(presentation(verdict, true), c.expect.presentation.navigation);
  });
}

test("the extension's texts are the proxy's staff.json, byte for byte", () => {
  const canonical = JSON.parse(read("proxy_addons/templates/staff.json"));
  assert.deepEqual(TEXTS, canonical);
  assert.equal(read("extension/staff_pages/staff.css"), read("proxy_addons/templates/staff.css"));
});

const x = { platform: "X (Twitter)", platform_id: "x", host: "x.com", activity: "signup" };

test("a block page is worded by activity", () => {
  assert.equal(heading(x, true), "Setting up an account on X (Twitter) is blocked on district devices");
  assert.equal(heading({ ...x, activity: "browse" }, true), "X (Twitter) is blocked on district devices");
  assert.equal(heading(x, false), "You are about to start setting up an account on X (Twitter)");
});

test("a sign-up links the permission form with its platform; nothing else does", () => {
  const settings = { permission_url: "https://admin.example/request" };
  assert.equal(permissionUrl(x, settings), "https://admin.example/request?platform=x");
  assert.equal(permissionUrl({ ...x, activity: "comment" }, settings), null);
  assert.equal(permissionUrl(x, { permission_url: "javascript:alert(1)" }), null);
  assert.equal(interstitialText(x, settings, true).permissionUrl, "https://admin.example/request?platform=x");
});

test("page assets are never sends, so never events", () => {
  for (const type of ["image", "script", "stylesheet", "font", "media", "ping"]) {
    assert.equal(isSend({ tabId: 3, type, method: "POST" }), false, type);
  }
  assert.equal(isSend({ tabId: 3, type: "xmlhttprequest", method: "POST" }), true);
  assert.equal(isSend({ tabId: 3, type: "websocket", method: "GET" }), true);
});
