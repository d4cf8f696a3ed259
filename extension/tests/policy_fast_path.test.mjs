// parseTarget's fast path (plain URLs read without the URL parser) answers exactly as the URL
// parser does, and is taken for ordinary URLs; anything unusual goes through `new URL()`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { parseTarget, parseTargetByUrl, simpleTarget } from "../lib/policy.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const ORDINARY = [
  "https://www.instagram.com/direct/inbox/",
  "https://www.tiktok.com/@user1/video/7?lang=en#top",
  "http://news12.example.org",
  "https://a.b-c.k12.ks.us/x_y/~z/a;b=c/d:e@f!$&'()*+,=%41",
  "wss://gateway.discord.gg/?v=10",
  "ws://localhost/socket",
  "https://x.com#frag",
  "https://x.com?q=1",
  "https://1.2.3.example/a",
  "https://-odd-.example/a",
];

const TRICKY = [
  "HTTPS://WWW.Example.COM/A", "https://www.example.com./a", "https://.example.com/a",
  "https://example.com:443/a", "https://example.com:8443/a", "https://user:pw@example.com/a",
  "https://127.0.0.1/a", "https://127.1/", "https://0x7f.1/", "https://1.2.3.4/", "https://[::1]/",
  "https://xn--nxasmq6b.com/", "https://xn--zz.com/", "https://bücher.de/", "https://faß.de/x",
  "https://example.com/a/../b", "https://example.com/a/./b", "https://example.com/%2e%2E/b",
  "https://example.com/a/%2e", "https://example.com/.", "https://example.com/a b",
  "https://example.com/a\tb", "https://exa\nmple.com/", " https://example.com/ ",
  "https://example.com/a\\b", "https://example.com/a|b", "https://example.com/a\"b",
  "https://example.com/<x>", "https://example.com/a`b{c}", "https://example.com/é",
  "https:example.com/a", "https:/example.com/a", "https:///example.com/a", "//example.com/a",
  "example.com/a", "ftp://example.com/", "javascript:alert(1)", "https://", "https://a..b/",
  "https://exa_mple.com/", "https://%65xample.com/", "https://example.com%2f/",
  "https://example.com/a%zz", "https://example.com/a%2fb", "", "https://a/", "https://a.1/",
  "https://a.0x1/", "https://example.com//a//b", "https://example.com/a?b/../c",
];

function mix() {
  const urls = JSON.parse(readFileSync(join(root, "tests/vectors/classify.json"), "utf8"))
    .cases.map((c) => c.url).filter((u) => typeof u === "string");
  const words = ["news", "a", "B", "x-y", "0", "..", ".", "%2e", "~", "é", "_", "@", ":8080"];
  let seed = 16;
  const pick = (list) => list[(seed = (seed * 1103515245 + 12345) % 2147483648) % list.length];
  for (let i = 0; i < 3000; i++) {
    const host = [pick(words), pick(words), pick(["com", "org", "1", "k12.ks.us"])].join(".");
    const path = Array.from({ length: 3 }, () => pick(words)).join(pick(["/", "\\", "//"]));
    urls.push(`${pick(["https", "http", "wss", "HTTP"])}://${host}/${path}${pick(["", "?q", "#f"])}`);
  }
  return urls;
}

test("the fast path is taken for ordinary URLs and agrees with the URL parser", () => {
  for (const url of ORDINARY) {
    assert.notEqual(simpleTarget(url), null, url);
    assert.deepEqual(simpleTarget(url), parseTargetByUrl(url), url);
  }
});

test("unusual URLs agree too, whichever path reads them", () => {
  for (const url of [...TRICKY, ...mix()]) {
    assert.deepEqual(parseTarget(url), parseTargetByUrl(url), JSON.stringify(url));
  }
});

test("the unusual ones named above are left to the URL parser", () => {
  for (const url of TRICKY) {
    const simple = simpleTarget(url);
    if (simple !== null) assert.deepEqual(simple, parseTargetByUrl(url), url);
  }
  assert.equal(simpleTarget("HTTPS://WWW.Example.COM/A"), null);
  assert.equal(simpleTarget("https://example.com/a/../b"), null);
  assert.equal(simpleTarget("https://xn--nxasmq6b.com/"), null);
  assert.equal(simpleTarget("https://127.1/"), null);
});
