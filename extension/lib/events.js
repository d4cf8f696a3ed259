// Events as policy_lists/schemas/event.schema.json defines them (extension/schemas/ holds the
// same file; tests/event_schema.test.mjs checks makeEvent against it), and their queue.

export const BATCH = 500;
export const QUEUE_LIMIT = 10_000;

/** A random (v4) UUID; browsers and Node 19+ have crypto.randomUUID, older Node has not. */
function newId() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  const hex = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "89ab"[Math.floor(Math.random() * 4)];
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** An event for a verdict shown to, or chosen by, the staff member: the schema's fields in its order. */
export function makeEvent(verdict, outcome, { user = null, justification = "", now = new Date(), id } = {}) {
  return {
    id: id || newId(),
    ts: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    source: "extension",
    user,
    client: null,
    url: verdict.url.split("#", 1)[0].split("?", 1)[0],
    host: verdict.host,
    platform_id: verdict.platform_id,
    category: verdict.category,
    activity: verdict.activity,
    action: verdict.action,
    outcome,
    justification: String(justification || "").slice(0, 1000),
    reason: verdict.reason,
    policy_ref: verdict.policy_ref,
  };
}

/** The queue with `event` added; the oldest are dropped past QUEUE_LIMIT (a month offline). */
export function enqueue(queue, event) {
  const next = [...queue, event];
  return next.length > QUEUE_LIMIT ? next.slice(next.length - QUEUE_LIMIT) : next;
}

/**
 * Send one batch with `post(batch) -> {status, body}`; return the queue that remains.
 * 200: the batch is done (the server stores each id once, so a resend is harmless).
 * 400 with an index: that event is malformed; drop it and keep the rest for the next try.
 * Anything else: keep everything and try later.
 */
export async function flushOnce(queue, post) {
  if (!queue.length) return { queue, sent: 0, ok: true };
  const batch = queue.slice(0, BATCH);
  let answer;
  try {
    answer = await post(batch);
  } catch {
    return { queue, sent: 0, ok: false };
  }
  if (answer.status === 200) return { queue: queue.slice(batch.length), sent: batch.length, ok: true };
  if (answer.status === 400 && Number.isInteger(answer.body?.index)) {
    const bad = batch[answer.body.index];
    return { queue: queue.filter((e) => e !== bad), sent: 0, ok: false, dropped: bad };
  }
  return { queue, sent: 0, ok: false };
}
