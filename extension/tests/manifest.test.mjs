// The manifest asks for no more than the extension uses, runs no remote code, and the managed
// schema offers exactly the settings the code reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { DEFAULTS } from "../lib/config.js";

const ext = join(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(join(ext, "manifest.json"), "utf8"));
const schema = JSON.parse(readFileSync(join(ext, manifest.storage.managed_schema), "utf8"));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "tests") return [];
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

test("Manifest V3 with a module service worker, portable to Firefox", () => {
  assert.equal(manifest.manifest_version, 3);
  assert.equal(manifest.background.type, "module");
  assert.ok(existsSync(join(ext, manifest.background.service_worker)));
  assert.deepEqual(manifest.background.scripts, [manifest.background.service_worker]);
  assert.match(manifest.browser_specific_settings.gecko.id, /@/);
});

test("permissions are the ones the code uses", () => {
  assert.deepEqual([...manifest.permissions].sort(), [
    "alarms", "declarativeNetRequestWithHostAccess", "identity", "identity.email", "scripting",
    "storage", "unlimitedStorage", "webNavigation", "webRequest",
  ]);
  assert.deepEqual(manifest.host_permissions, ["<all_urls>"]);
  const code = files(ext).filter((p) => p.endsWith(".js")).map((p) => readFileSync(p, "utf8")).join("\n");
  for (const api of ["alarms", "declarativeNetRequest", "identity", "scripting", "storage", "webNavigation", "webRequest"]) {
    assert.ok(code.includes(`chrome.${api}`), `chrome.${api} is used`);
  }
});

test("only the interstitial is web-accessible (a redirect rule leads there), and never framed", () => {
  assert.deepEqual(manifest.web_accessible_resources, [
    { resources: ["pages/interstitial.html"], matches: ["<all_urls>"] },
  ]);
  assert.match(manifest.content_security_policy.extension_pages, /frame-ancestors 'none'/);
});

test("a strict content security policy and no remote code", () => {
  const csp = manifest.content_security_policy.extension_pages;
  assert.match(csp, /script-src 'self';/);
  assert.doesNotMatch(csp, /unsafe|https?:|\*/);
  for (const path of files(ext)) {
    const text = readFileSync(path, "utf8");
    const name = relative(ext, path);
    if (path.endsWith(".js")) {
      assert.doesNotMatch(text, /\beval\(|new Function\(|import\(\s*["'`]https?:/, name);
      assert.doesNotMatch(text, /\bimport\s*\(/, `${name}: no dynamic imports`);
      for (const [, spec] of text.matchAll(/^(?:import .*|\}) from "([^"]+)";$/gm)) {
        assert.ok(spec.startsWith("./") || spec.startsWith("../"), `${name} imports ${spec}`);
        assert.ok(existsSync(join(dirname(path), spec)), `${name}: ${spec} exists`);
      }
    }
    if (path.endsWith(".html")) {
      assert.doesNotMatch(text, /<script(?![^>]*src="[^":]+")/, `${name}: only local script files`);
      assert.doesNotMatch(text, /(src|href)="(https?:)?\/\//, `${name}: no remote assets`);
    }
  }
});

test("the managed schema and the code agree on the settings", () => {
  assert.equal(schema.type, "object");
  assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(DEFAULTS).sort());
  for (const [key, spec] of Object.entries(schema.properties)) {
    const type = typeof DEFAULTS[key] === "number" ? "integer" : typeof DEFAULTS[key];
    assert.equal(spec.type, type, key);
    assert.ok(spec.title && spec.description, key);
  }
});

test("every page the manifest names exists", () => {
  for (const page of [manifest.options_ui.page, manifest.action.default_popup, "pages/interstitial.html"]) {
    assert.ok(existsSync(join(ext, page)), page);
  }
});
