import { test } from "node:test";
import assert from "node:assert/strict";

import { BATCH, enqueue, flushOnce, makeEvent } from "../lib/events.js";

const verdict = {
  url: "https://www.tiktok.com/messages", host: "www.tiktok.com", platform_id: "tiktok",
  category: "social_media", activity: "direct_message", action: "warn", reason: "r", policy_ref: "p",
};

test("events carry docs/design.md's fields and never a query string", () => {
  const event = makeEvent({ ...verdict, url: "https://www.tiktok.com/messages?u=1#x" }, "continued", {
    user: "jdoe@usd999.org", justification: "club", now: new Date("2026-11-20T14:03:00.123Z"),
  });
  assert.equal(event.url, "https://www.tiktok.com/messages");
  assert.equal(event.ts, "2026-11-20T14:03:00Z");
  assert.equal(event.source, "extension");
  assert.match(event.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(Object.keys(event).sort(), [
    "action", "activity", "category", "client", "host", "id", "justification", "outcome",
    "platform_id", "policy_ref", "reason", "source", "ts", "url", "user",
  ]);
});

test("a batch is removed only when the admin site took it", async () => {
  let queue = [];
  for (let i = 0; i < BATCH + 3; i++) queue = enqueue(queue, makeEvent(verdict, "shown"));
  const down = await flushOnce(queue, async () => { throw new Error("offline"); });
  assert.equal(down.queue.length, BATCH + 3);
  const refused = await flushOnce(queue, async () => ({ status: 503, body: {} }));
  assert.equal(refused.queue.length, BATCH + 3);
  const sent = [];
  const ok = await flushOnce(queue, async (batch) => { sent.push(batch.length); return { status: 200, body: {} }; });
  assert.deepEqual(sent, [BATCH]);
  assert.equal(ok.queue.length, 3);
});

test("a malformed event is dropped, the rest wait for the next try", async () => {
  const queue = [makeEvent(verdict, "shown"), makeEvent(verdict, "shown")];
  const result = await flushOnce(queue, async () => ({ status: 400, body: { index: 1 } }));
  assert.deepEqual(result.queue, [queue[0]]);
  assert.equal(result.dropped, queue[1]);
});
