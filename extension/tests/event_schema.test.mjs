// makeEvent and classify give exactly what policy_lists/schemas/*.schema.json define; the
// extension's copies of those files are the same bytes (the Python side checks it too).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { makeEvent } from "../lib/events.js";
import { classify } from "../lib/policy.js";
import { problems } from "./json_schema.mjs";

const ext = join(dirname(fileURLToPath(import.meta.url)), "..");
const root = join(ext, "..");
const read = (path) => readFileSync(path, "utf8");
const EVENT = JSON.parse(read(join(ext, "schemas", "event.schema.json")));
const VERDICT = JSON.parse(read(join(ext, "schemas", "verdict.schema.json")));
const SENT = Object.keys(EVENT.properties).filter((key) => !EVENT.properties[key].readOnly);
const vectors = JSON.parse(read(join(root, "tests", "vectors", "classify.json")));
const policies = Object.fromEntries(
  Object.entries(vectors.scenarios).map(([name, path]) => [name, JSON.parse(read(join(root, "tests", "vectors", path)))]),
);
const verdicts = vectors.cases.map((c) =>
  classify(policies[c.scenario], c.url, { method: c.method, user: c.user, clientIp: c.client_ip, headers: c.headers }),
);

test("the extension's schemas are the shipped ones, byte for byte", () => {
  for (const name of ["event.schema.json", "verdict.schema.json"]) {
    assert.equal(read(join(ext, "schemas", name)), read(join(root, "policy_lists", "schemas", name)), name);
  }
});

test("classify gives the verdict schema's fields, in its order, for every shared vector", () => {
  assert.ok(verdicts.length > 20);
  for (const verdict of verdicts) {
    assert.deepEqual(Object.keys(verdict), Object.keys(VERDICT.properties));
    assert.deepEqual(problems(verdict, VERDICT), [], verdict.url);
  }
});

test("makeEvent gives an event of the schema for every warned verdict and outcome", () => {
  const outcomes = EVENT.properties.outcome.enum;
  const warned = verdicts.filter((verdict) => verdict.action !== "allow"); // allowed: no event
  assert.ok(warned.length > 10);
  warned.forEach((verdict, i) => {
    const event = makeEvent({ ...verdict, url: `${verdict.url}?q=1#x` }, outcomes[i % outcomes.length], {
      user: i % 2 ? "jdoe@usd999.org" : null, justification: "j".repeat(i * 50),
    });
    assert.deepEqual(Object.keys(event), SENT);
    assert.deepEqual(problems(event, EVENT), [], JSON.stringify(event));
  });
});

test("the checker refuses what the admin site would refuse", () => {
  const good = makeEvent(verdicts.find((verdict) => verdict.action === "warn"), "shown");
  assert.deepEqual(problems(good, EVENT), []);
  for (const [bad, what] of [
    [{ ...good, outcome: "ignored" }, "$.outcome"],
    [{ ...good, id: "42" }, "$.id"],
    [{ ...good, ts: "yesterday" }, "$.ts"],
    [{ ...good, url: "" }, "$.url"],
    [{ ...good, user: 7 }, "$.user"],
    [{ ...good, extra: 1 }, "$.extra"],
    [{ ...good, justification: "j".repeat(1001) }, "$.justification"],
  ]) {
    assert.match(problems(bad, EVENT).join("\n"), new RegExp(`^\\${what}`), what);
  }
  const { host, ...noHost } = good;
  assert.deepEqual(problems(noHost, EVENT), ["$.host: missing"]);
});
