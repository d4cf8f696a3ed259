// The JavaScript engine agrees with the Python one on every shared vector.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { classify, dnsTail, MAX_DNS_NAME, pathSegments, parseTarget } from "../lib/policy.js";
import { ipInNetwork, parseIp } from "../lib/ip.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const vectors = JSON.parse(readFileSync(join(root, "tests/vectors/classify.json"), "utf8"));
const casesDir = join(root, "tests/vectors/cases");
const moreFiles = readdirSync(casesDir).filter((f) => f.endsWith(".json")).sort();
const cases = [
  ...vectors.cases,
  ...moreFiles.flatMap((f) => JSON.parse(readFileSync(join(casesDir, f), "utf8")).cases),
];
const scenarios = Object.fromEntries(
  Object.entries(vectors.scenarios).map(([name, file]) => [
    name,
    JSON.parse(readFileSync(join(root, "tests/vectors", file), "utf8")),
  ]),
);

test(`the shared vectors hold at least 150 cases`, () => {
  assert.ok(vectors.cases.length >= 150);
});

test("every vector file of tests/vectors/cases is read", () => {
  assert.ok(moreFiles.includes("engine.json"));
  assert.ok(cases.length > vectors.cases.length);
});

for (const c of cases) {
  test(`vector: ${c.name} (${c.scenario})`, () => {
    const verdict = classify(scenarios[c.scenario], c.url, {
      method: c.method, user: c.user, clientIp: c.client_ip, headers: c.headers,
      body: c.body ?? null, websocket: c.websocket ?? false,
    });
    const { presentation, ...expect } = c.expect; // presentation.test.mjs checks that one
    const picked = Object.fromEntries(Object.keys(expect).map((k) => [k, verdict[k]]));
    assert.deepEqual(picked, expect);
  });
}

test("classify never throws and keeps to the vocabulary", () => {
  const policy = scenarios.defaults;
  for (const junk of [undefined, null, 42, {}, "", "http://[", "%%%", "https://\u0000/", "💥://x"]) {
    const v = classify(policy, junk);
    assert.equal(v.action, "allow");
    assert.equal(v.category, "unclassified");
  }
});

test("path segments are decoded once, lowercased, dot-resolved, without matrix parameters or trailing dots", () => {
  assert.deepEqual(pathSegments("/A//b/./../%64irect/"), ["a", "direct"]);
  assert.deepEqual(pathSegments("/%E2%82%AC/%zz"), ["€", "%zz"]);
  assert.deepEqual(pathSegments("/%2564irect"), ["%64irect"]);
  assert.deepEqual(pathSegments("/direct;x=1/inbox;y"), ["direct", "inbox"]);
  assert.deepEqual(pathSegments("/a/..;/direct"), ["direct"]);
  assert.deepEqual(pathSegments("/direct%3Bx"), ["direct;x"]);
  assert.deepEqual(pathSegments("/direct./t.%20/%20/..."), ["direct", "t"]);
});

test("a URL without a scheme is https, userinfo never decides the host", () => {
  assert.equal(parseTarget("tiktok.com:443/x").url, "https://tiktok.com/x");
  assert.equal(parseTarget("https://tiktok.com@example.org/").host, "example.org");
});

test("IPv4 and IPv6 networks", () => {
  assert.ok(ipInNetwork(parseIp("10.77.3.4"), "10.77.0.0/16"));
  assert.ok(!ipInNetwork(parseIp("10.78.3.4"), "10.77.0.0/16"));
  assert.ok(ipInNetwork(parseIp("fd00:77::1"), "fd00:77::/32"));
  assert.ok(ipInNetwork(parseIp("::ffff:1.2.3.4"), "::ffff:0:0/96"));
  assert.equal(parseIp("10.077.1.1"), null);
  assert.equal(parseIp("1::2::3"), null);
});

test("dot segments a lenient parser leaves are resolved as the standard says", () => {
  assert.equal(parseTarget("https://x.example/a/b/.:./../messages").url, "https://x.example/a/b/messages");
  assert.equal(parseTarget("https://x.example/a/.:./..").path, "/a/");
  assert.equal(parseTarget("https://x.example/a/.:./.").path, "/a/.:./");
});

test("IPv6 zones are ignored and brackets stripped, as Python's ipaddress does", () => {
  assert.ok(ipInNetwork(parseIp("fd00:77::5%eth0"), "fd00:77::/32"));
  assert.equal(parseIp("fd00:77::5%"), null);
  assert.equal(parseIp("10.77.1.1%eth0"), null);
  const policy = { ...scenarios.district };
  assert.equal(
    classify(policy, "https://example.org/", { clientIp: "[[10.77.1.1]]" }).exempt,
    classify(policy, "https://example.org/", { clientIp: "10.77.1.1" }).exempt,
  );
});

test("a 64 KiB host ending in a listed domain is still warned (its last 253 characters decide)", () => {
  const host = "a1b2c3d4.".repeat(Math.floor((64 * 1024) / 9)) + "tiktok.com";
  const verdict = classify(scenarios.defaults, `https://${host}/@lincolnhigh`);
  assert.equal(verdict.platform_id, "tiktok");
  assert.equal(verdict.action, "warn");
  assert.equal(dnsTail("www.tiktok.com"), "www.tiktok.com");
  assert.equal(dnsTail("a".repeat(250) + ".com"), "com");
  assert.equal(dnsTail("b." + "a".repeat(249) + ".com"), "a".repeat(249) + ".com");
  assert.equal(dnsTail("x".repeat(300)), "");
  assert.ok(dnsTail(host).length <= MAX_DNS_NAME);
});
