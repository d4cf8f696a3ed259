// The twin of policy_lists/lms.py agrees with it on the shared vectors (tests/vectors/lms/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { HOSTS, MAX_BODY, MAX_LINK, MAX_LINKS, TABLE, decodedBody, findRoute, isLmsHost, linkedUrls, requiredPlatforms } from "../lib/lms.js";
import { lmsNotice } from "../lib/texts.js";
import { markerVerdict, parseMarker } from "../lib/decide.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const read = (path) => JSON.parse(readFileSync(join(root, path), "utf8"));
const { cases } = read("tests/vectors/lms/lms.json");
const policy = read("tests/vectors/compiled/defaults.json");

test("the route table is lms.py's, row for row (tests/vectors/lms/routes.json)", () => {
  const rows = TABLE.map(([lms, hosts, kind, methods, path, operations]) => ({
    lms, hosts: HOSTS[hosts], kind, methods: methods.split(" "), path, operations,
  }));
  assert.deepEqual(rows, read("tests/vectors/lms/routes.json").routes);
});

for (const c of cases) {
  test(`lms vector: ${c.name}`, () => {
    const found = requiredPlatforms(policy, c.url, {
      method: c.method, headers: c.headers, body: c.body, ...(c.extra_hosts ? { extraHosts: c.extra_hosts } : {}),
    });
    if (c.expect === null) {
      assert.equal(found, null);
      return;
    }
    assert.ok(found);
    assert.deepEqual([found.lms, found.kind], [c.expect.lms, c.expect.kind]);
    assert.deepEqual(found.platforms.map((p) => p.id), c.expect.platforms);
    assert.equal(lmsNotice(found), c.expect.notice);
  });
}

test("Chrome's raw bytes and formData bodies are read as the text they carry", () => {
  const url = "https://usd999.instructure.com/api/v1/courses/1/assignments";
  const bytes = new TextEncoder().encode(JSON.stringify({ d: "see https://www.tiktok.com/@lhs" }));
  const raw = requiredPlatforms(policy, url, { body: { raw: [{ bytes: bytes.buffer }] } });
  assert.deepEqual(raw.platforms.map((p) => p.id), ["tiktok"]);
  const form = requiredPlatforms(policy, url, { body: { formData: { message: ["<a href=\"https://www.instagram.com/x\">x</a>"] } } });
  assert.deepEqual(form.platforms.map((p) => p.id), ["instagram"]);
});

test("only the first 64 KiB are read, and at most MAX_LINKS links", () => {
  assert.deepEqual(linkedUrls(`${"x".repeat(MAX_BODY)} https://www.tiktok.com/@late`), []);
  const many = Array.from({ length: 500 }, (_, i) => `https://s${i}.example/p`).join(" ");
  assert.equal(linkedUrls(many).length, MAX_LINKS);
});

test("bad bodies never throw", () => {
  const url = "https://x.instructure.com/api/v1/courses/1/assignments";
  for (const body of ["[[[", "%zz=%%%", "", null, "=========", "&#99999999;", { raw: [{ file: "/x" }] }, 42]) {
    requiredPlatforms(policy, url, { body });
  }
});

test("LMS hosts: the route hosts and their subdomains, and a district's own when given", () => {
  assert.ok(isLmsHost("usd999.instructure.com") && isLmsHost("api.schoology.com"));
  assert.ok(!isLmsHost("canvas-user-content.com") && !isLmsHost("www.tiktok.com"));
  assert.equal(findRoute("https://canvas.usd999.org/api/v1/courses/1/assignments", "POST"), null);
  assert.ok(findRoute("https://canvas.usd999.org/api/v1/courses/1/assignments", "POST", { canvas: ["canvas.usd999.org"] }));
});

test("the proxy's marker for an LMS post gives the same notice as the extension's own finding", () => {
  const marker = parseMarker("action=notice; activity=student_required; kind=assignment; platforms=instagram,tiktok; ref=IIBGC, Prohibitions");
  assert.deepEqual(marker.platforms, ["instagram", "tiktok"]);
  const verdict = markerVerdict(marker, null, { instagram: "Instagram", tiktok: "TikTok" });
  assert.equal(verdict.action, "notice");
  assert.equal(verdict.reason, lmsNotice({ kind: "assignment", platforms: [{ name: "Instagram" }, { name: "TikTok" }], sentence: verdict.reason.split(". ").slice(1).join(". ") }));
  assert.match(verdict.reason, /^This assignment links to Instagram and TikTok\. No employee shall require a student/);
});

test("the policy's lms_hosts setting names the district's own LMS hosts", () => {
  const district = { ...policy, settings: { ...policy.settings, lms_hosts: { canvas: ["canvas.usd999.org"] } } };
  const url = "https://canvas.usd999.org/api/v1/courses/1/assignments";
  const body = JSON.stringify({ d: "https://www.tiktok.com/@x" });
  assert.equal(requiredPlatforms(district, url, { body }).lms, "canvas");
  assert.equal(requiredPlatforms(policy, url, { body }), null);
});

// Chrome's requestBody is the body as sent: a page that compressed its save (CompressionStream)
// sends gzip or deflate bytes, decoded here before the links are read, never past MAX_BODY.
const CANVAS = "https://usd999.instructure.com/api/v1/courses/1/assignments";
const SAVED = JSON.stringify({ description: "Post it at https://www.tiktok.com/@lhs_band. ".repeat(20) });

async function compressed(text, format) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Response(stream).arrayBuffer();
}

for (const [coding, format] of [["gzip", "gzip"], ["deflate", "deflate"], ["deflate", "deflate-raw"]]) {
  test(`a ${format} save is read decoded (Content-Encoding: ${coding})`, async () => {
    const sent = { raw: [{ bytes: await compressed(SAVED, format) }] };
    const headers = { "content-type": "application/json", "content-encoding": coding };
    assert.equal(requiredPlatforms(policy, CANVAS, { headers, body: sent }), null, "as sent: no link readable");
    const body = await decodedBody(sent, coding);
    assert.deepEqual(requiredPlatforms(policy, CANVAS, { headers, body }).platforms.map((p) => p.id), ["tiktok"]);
  });
}

test("a gzip bomb is read no further than MAX_BODY, quickly", async () => {
  const bomb = await compressed(new Uint8Array(64_000_000), "gzip");
  const started = performance.now();
  const body = await decodedBody({ raw: [{ bytes: bomb }] }, "gzip");
  assert.equal(body.raw[0].bytes.byteLength, MAX_BODY);
  assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
});

test("a body that is not compressed as it says, or in a coding we cannot undo, is kept as sent", async () => {
  const sent = { raw: [{ bytes: new TextEncoder().encode(SAVED).buffer }] };
  assert.equal(await decodedBody(sent, "gzip"), sent);
  assert.equal(await decodedBody(sent, "br"), sent);
  assert.equal(await decodedBody(sent, ""), sent);
  assert.equal(await decodedBody("text=1", "gzip"), "text=1");
});

test("a link is read no longer than MAX_LINK, as lms.py", () => {
  const [link] = linkedUrls("body=" + "www.x".repeat(13_000));
  assert.ok(link.length <= "https://".length + MAX_LINK);
});
