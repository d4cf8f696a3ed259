import { test } from "node:test";
import assert from "node:assert/strict";

import { continued, forNavigation, parseMarker, remember } from "../lib/decide.js";
import { effectiveConfig } from "../lib/config.js";
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
  assert.equal(forNavigation({ ...warn, approved: true, activity: "direct_message" }), "banner");
});

test("behind the district proxy the extension never warns a second time", () => {
  assert.equal(forNavigation(warn, { behindProxy: true }), null);
  assert.equal(forNavigation({ ...warn, action: "notice" }, { behindProxy: true }), "banner");
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
