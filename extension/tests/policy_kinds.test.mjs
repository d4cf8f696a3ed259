// The rule kinds as the extension meets them: Chrome's header lists and request bodies
// (formData, raw bytes), websocket resource types, and the helpers that tell the runtime
// when it needs headers or a body. Verdicts themselves are pinned by the shared vectors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { BODY_LIMIT, bodyOperations, classify, needsBody, needsHeaders } from "../lib/policy.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const policy = JSON.parse(readFileSync(join(root, "tests/vectors/compiled/kinds.json"), "utf8"));
const graphql = "https://www.chatter.example/api/graphql";
const post = (body, more = {}) => classify(policy, graphql, { method: "POST", body, ...more }).activity;

test("needsBody and needsHeaders name only hosts whose rules read them", () => {
  assert.ok(needsBody(policy, "www.chatter.example"));
  assert.ok(needsBody(policy, "Social.USD999.example."));
  assert.ok(!needsBody(policy, "news.example"));
  assert.ok(!needsBody(policy, ""));
  assert.ok(!needsBody(policy, null));
  assert.ok(needsHeaders(policy, "chatter.example"));  // the header rule and operation rules
  assert.ok(!needsHeaders(policy, "l.chatter.example.evil.example"));
});

test("a body as Chrome gives it: formData, raw bytes, typed arrays", () => {
  const form = "fb_api_req_friendly_name=AddCommentMutation";
  const bytes = new TextEncoder().encode(form);
  assert.equal(post({ formData: { fb_api_req_friendly_name: ["AddCommentMutation"] } }), "comment");
  assert.equal(post({ formData: { operationName: ["x", "addcommentmutation"] } }), "comment");
  assert.equal(post({ formData: { operationName: ["x"] } }), "browse");
  assert.equal(post({ formData: { toString: ["AddCommentMutation"] } }), "browse");
  assert.equal(post({ raw: [{ bytes: bytes.buffer }] }), "comment");
  const half = bytes.length >> 1;
  assert.equal(post({ raw: [{ bytes: bytes.slice(0, half).buffer }, { file: "/x" },
    { bytes: bytes.slice(half).buffer }] }), "comment");
  assert.equal(post(bytes), "comment");
  assert.equal(post(bytes.buffer), "comment");
  assert.equal(post(new DataView(bytes.buffer)), "comment");
  assert.equal(post(form), "comment");
});

test("only the first 64 KiB of a body are read, in every form", () => {
  const field = "operationName=AddCommentMutation";
  const padding = "x=" + "a".repeat(BODY_LIMIT - field.length - 3) + "&";
  const fits = padding.slice(0, -1) + "&" + field;
  const late = padding + "a" + field;
  for (const shape of [(s) => s, (s) => new TextEncoder().encode(s), (s) => new TextEncoder().encode(s).buffer,
    (s) => ({ raw: [{ bytes: new TextEncoder().encode(s).buffer }] })]) {
    assert.equal(post(shape(fits)), "comment");
    assert.equal(post(shape(late)), "browse");
  }
  const early = JSON.stringify({ operationName: "AddCommentMutation", pad: "a".repeat(BODY_LIMIT) });
  assert.equal(post(early), "browse");  // cut short, the JSON no longer parses
  assert.equal(post(field + "&x=" + "é".repeat(BODY_LIMIT)), "comment");
});

test("Chrome's requestHeaders list works as a header map does", () => {
  const headers = [{ name: "X-FB-Friendly-Name", value: "useCometUFICreateCommentMutation" }];
  assert.equal(classify(policy, graphql, { method: "POST", headers }).activity, "comment");
  const upgrade = [{ name: "Upgrade", value: "websocket" }];
  assert.equal(classify(policy, "https://gateway.chatter.example/ws/chat", { headers: upgrade }).activity,
    "direct_message");
  assert.equal(classify(policy, "https://gateway.chatter.example/ws/chat", { headers: [null, {}] }).activity,
    "browse");
});

test("hostile bodies and headers never throw", () => {
  for (const body of [new Uint8Array([0xff, 0xfe, 0]), "[".repeat(100000), "%".repeat(70000), 12345,
    { raw: "x" }, { raw: [null, { bytes: "x" }] }, { formData: null }, { formData: { operationName: "AddCommentMutation" } },
    ["operationName=AddCommentMutation"], "\ud800operationName=AddCommentMutation" + "a".repeat(BODY_LIMIT)]) {
    assert.ok(["browse", "comment"].includes(post(body)), String(body).slice(0, 40));
  }
  for (const headers of [{ Upgrade: ["websocket"] }, { "x-fb-friendly-name": null }, "x", 7]) {
    assert.equal(classify(policy, "https://gateway.chatter.example/ws/chat", { headers }).activity, "browse");
  }
});

test("body operations are lowercase names from form fields and JSON", () => {
  assert.deepEqual(bodyOperations('[{"operationName": "A"}, {"fb_api_req_friendly_name": "B"}]'), ["a", "b"]);
  assert.deepEqual(bodyOperations("operationName=Add%FFComment"), ["add\ufffdcomment"]);
  assert.deepEqual(bodyOperations("operationName=Add+Comment"), ["add comment"]);
  assert.deepEqual(bodyOperations('{"__proto__": {"operationName": "A"}}'), []);
});

test("a document without segments and network_ranges classifies alike", () => {
  const district = JSON.parse(readFileSync(join(root, "tests/vectors/compiled/district.json"), "utf8"));
  const older = structuredClone(district);
  for (const platform of older.platforms) for (const rule of platform.rules) delete rule.segments;
  for (const exemption of older.exemptions) delete exemption.network_ranges;
  assert.ok(district.exemptions.some((e) => e.networks.length));
  const requests = [["https://www.instagram.com/direct/inbox/", "10.77.1.2"], ["https://www.tiktok.com/messages", "10.78.1.2"],
    ["https://x.com/messages/1", "fd00:77::1"], ["https://www.facebook.com/", null]];
  let exempt = 0;
  for (const [url, clientIp] of requests) {
    const verdict = classify(district, url, { clientIp });
    assert.deepEqual(classify(older, url, { clientIp }), verdict);
    exempt += verdict.exempt;
  }
  assert.ok(exempt >= 1);
});
