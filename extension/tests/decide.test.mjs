import { test } from "node:test";
import assert from "node:assert/strict";

import {
  continueKey, continued, firstInWindow, forNavigation, forRequest, headerMap, isSend,
  markerVerdict, pageKey, parseMarker, remember,
} from "../lib/decide.js";
import { effectiveConfig, settingsProblem } from "../lib/config.js";
import { interstitialText } from "../lib/texts.js";

const warn = { platform_id: "tiktok", platform: "TikTok", host: "www.tiktok.com", activity: "browse", action: "warn", approved: false };

test("a warned navigation gets the interstitial until the staff member continues", () => {
  const now = 1_000_000;
  assert.equal(forNavigation(warn, { now }), "interstitial");
  const continues = remember({}, warn, 30, now);
  assert.equal(forNavigation(warn, { continues, now: now + 29 * 60_000 }), null);
  assert.equal(forNavigation(warn, { continues, now: now + 31 * 60_000 }), "interstitial");
});

test("a continue covers one platform and one activity", () => {
  const continues = remember({}, warn, 30, 0);
  assert.ok(!continued(continues, { ...warn, activity: "direct_message" }, 1));
  assert.ok(!continued(continues, { ...warn, platform_id: "snapchat" }, 1));
});

test("expired continues are dropped when a new one is remembered", () => {
  const continues = remember({ "old|browse": 5 }, warn, 30, 10);
  assert.deepEqual(Object.keys(continues), ["tiktok|browse"]);
});

test("block, notice, allow and approved two-way activity", () => {
  assert.equal(forNavigation({ ...warn, action: "block" }), "block");
  assert.equal(forNavigation({ ...warn, action: "notice" }), "banner");
  assert.equal(forNavigation({ ...warn, action: "allow" }), null);
  // One verdict, one presentation (issue 12 item 1): a warned DM page on an approved platform
  // gets the interstitial, as the proxy shows it; a district wanting a banner sets "notice".
  assert.equal(forNavigation({ ...warn, approved: true, activity: "direct_message" }), "interstitial");
});

test("behind the district proxy the extension never warns a second time", () => {
  assert.equal(forNavigation(warn, { behindProxy: true }), null);
  assert.equal(forNavigation({ ...warn, action: "notice" }, { behindProxy: true }), null);
  assert.equal(forNavigation({ ...warn, approved: true, activity: "direct_message" }, { behindProxy: true }), null);
});

test("the proxy's marker header is read, and junk is ignored", () => {
  assert.deepEqual(parseMarker("action=warn; activity=comment; ref=IIBGC (4/26), Uses"), {
    action: "warn", activity: "comment", ref: "IIBGC (4/26), Uses",
  });
  assert.equal(parseMarker("action=explode"), null);
  assert.equal(parseMarker(undefined), null);
});

test("managed settings win and are locked", () => {
  const { config, locked } = effectiveConfig(
    { backendUrl: "https://sg.usd999.org/", syncMinutes: 0 },
    { backendUrl: "http://evil.example", apiToken: "t" },
  );
  assert.equal(config.backendUrl, "https://sg.usd999.org");
  assert.equal(config.apiToken, "t");
  assert.equal(config.syncMinutes, 15);
  assert.deepEqual(locked, ["backendUrl", "syncMinutes"]);
});

test("sign-up interstitials link to the permission request", () => {
  const text = interstitialText({ ...warn, activity: "signup" }, { permission_url: "https://a/requests/new" });
  assert.equal(text.permissionUrl, "https://a/requests/new?platform=tiktok");
  assert.equal(text.heading, "You are about to start setting up an account on TikTok");
});

test("activity notices come once a minute per key", () => {
  const recent = new Map();
  assert.ok(firstInWindow(recent, "1|tiktok|comment", 0));
  assert.ok(!firstInWindow(recent, "1|tiktok|comment", 59_000));
  assert.ok(firstInWindow(recent, "2|tiktok|comment", 59_000));
  assert.ok(firstInWindow(recent, "1|tiktok|comment", 60_000));
});

test("a marker the synced policy agrees with keeps the local words", () => {
  const marker = parseMarker("action=warn; activity=comment; ref=IIBGC (4/26), Uses");
  const local = { ...warn, activity: "comment", reason: "local words", policy_ref: "IIBGC" };
  assert.equal(markerVerdict(marker, local).reason, "local words");
  assert.equal(markerVerdict(marker, local).action, "warn");
});

test("a marker the synced policy does not know still shows the proxy's section", () => {
  const marker = parseMarker("action=notice; activity=direct_message; ref=IIBGC (4/26), Uses");
  for (const local of [null, { ...warn, action: "allow", reason: "not social media" }]) {
    const verdict = markerVerdict(marker, local);
    assert.equal(verdict.action, "notice");
    assert.equal(verdict.policy_ref, "IIBGC (4/26), Uses");
    assert.match(verdict.reason, /Direct messaging here is flagged/);
  }
});

test("configuration: defaults, switches and the user's email", () => {
  const { config, locked } = effectiveConfig({}, {});
  assert.deepEqual(locked, []);
  assert.equal(config.enabled, true);
  assert.equal(config.deferToProxy, true);
  assert.equal(config.user, "");
  const off = effectiveConfig({ enabled: false, user: " JDoe@USD999.org " }, { enabled: true, user: "x@y" });
  assert.equal(off.config.enabled, false);
  assert.equal(off.config.user, "jdoe@usd999.org");
  assert.deepEqual(off.locked.sort(), ["enabled", "user"]);
  assert.equal(effectiveConfig({}, { syncMinutes: 100000 }).config.syncMinutes, 1440);
});

test("options page input is checked with a message saying what and where", () => {
  assert.equal(settingsProblem({ backendUrl: "https://sg.usd999.org", user: "a@b.org" }), null);
  assert.equal(settingsProblem({}), null);
  assert.match(settingsProblem({ backendUrl: "sg.usd999.org" }), /^Admin site URL: "sg.usd999.org"/);
  assert.match(settingsProblem({ backendUrl: "ftp://x" }), /not an http\(s\) address/);
  assert.match(settingsProblem({ backendUrl: "https://x/?a=1" }), /query/);
  assert.match(settingsProblem({ user: "jdoe" }), /^Your district email: "jdoe"/);
});

test("a continue is kept per platform id, so all of a platform's domains share it", () => {
  const watch = { ...warn, platform_id: "youtube", host: "www.youtube.com" };
  const short = { ...watch, host: "youtu.be" };
  assert.equal(continueKey(watch), continueKey(short));
  assert.ok(continued(remember({}, watch, 60, 0), short, 1));
});

test("sends: a banner for notice and warn, blocked for block, nothing for browsing", () => {
  const send = { ...warn, approved: true, activity: "comment" };
  assert.equal(forRequest(send), "banner");
  assert.equal(forRequest({ ...send, action: "notice" }), "banner");
  assert.equal(forRequest({ ...send, action: "block" }), "blocked");
  assert.equal(forRequest({ ...send, action: "allow" }), null);
  assert.equal(forRequest({ ...send, activity: "browse", action: "block" }), null);
  assert.equal(forRequest(send, { behindProxy: true }), null);
});

test("what counts as a send: writes and websockets in a tab, never pages or reads", () => {
  const base = { tabId: 3, type: "xmlhttprequest", method: "POST" };
  assert.ok(isSend(base));
  assert.ok(isSend({ ...base, method: "PATCH" }));
  assert.ok(isSend({ ...base, type: "websocket", method: "GET" }));
  assert.ok(!isSend({ ...base, method: "GET" }));
  assert.ok(!isSend({ ...base, method: "OPTIONS" }));
  assert.ok(!isSend({ ...base, type: "main_frame" }));
  assert.ok(!isSend({ ...base, tabId: -1 }));
});

test("request headers as classify takes them; junk is skipped", () => {
  assert.deepEqual(
    headerMap([{ name: "X-FB-Friendly-Name", value: "Op" }, { name: "Bin", binaryValue: [1] }, null].filter(Boolean)),
    { "x-fb-friendly-name": "Op" },
  );
  assert.deepEqual(headerMap(undefined), {});
});

test("in-app navigations are compared without query and fragment", () => {
  assert.equal(pageKey("https://www.instagram.com/direct/inbox/?x=1#top"), "https://www.instagram.com/direct/inbox/");
  assert.equal(pageKey(undefined), "");
});
