// IIBGC: "No employee shall require a student to use a social media platform for any assignment
// or extracurricular activity." The twin of policy_lists/lms.py (its docstring names the public
// source of every route): which social media platforms an LMS assignment or announcement being
// saved links to. Platform ids and names only, never the links or the text. The route table is
// lms.py's (tests/vectors/lms/routes.json, which extension/tests/lms.test.mjs compares), and
// both engines agree on tests/vectors/lms/lms.json.

import { bodyText, classify, percentDecode } from "./policy.js";

export const MAX_BODY = 64 * 1024;
export const MAX_LINKS = 100;
export const MAX_LINK = 2048; // lms.py's: longer is no real link, and costs the engine dearly
export const ACTIVITY = "student_required";
export const SENTENCE =
  "No employee shall require a student to use a social media platform for any assignment " +
  "or extracurricular activity.";
const COUNTED = new Set(["social_media"]);

export const HOSTS = {
  canvas: ["instructure.com"],
  classroom_api: ["classroom.googleapis.com"],
  classroom_web: ["classroom.google.com"],
  schoology: ["schoology.com"],
};
const GC = "google_classroom";
const C = "/v1/courses/{id}";
const SR = "/v1/(sections|groups)/{id}";
// [lms, hosts, kind, methods, path, GraphQL operations]: lms.py's TABLE, row for row.
export const TABLE = [
  ["canvas", "canvas", "assignment", "POST", "/api/v1/courses/{id}/assignments", []],
  ["canvas", "canvas", "assignment", "PUT", "/api/v1/courses/{id}/assignments/{id}", []],
  ["canvas", "canvas", "announcement", "POST", "/api/v1/courses/{id}/discussion_topics", []],
  ["canvas", "canvas", "announcement", "PUT", "/api/v1/courses/{id}/discussion_topics/{id}", []],
  ["canvas", "canvas", "announcement", "POST", "/api/graphql", ["CreateDiscussionTopic", "UpdateDiscussionTopic"]],
  [GC, "classroom_api", "assignment", "POST", `${C}/courseWork`, []],
  [GC, "classroom_api", "assignment", "PATCH", `${C}/courseWork/{id}`, []],
  [GC, "classroom_api", "announcement", "POST", `${C}/announcements`, []],
  [GC, "classroom_api", "announcement", "PATCH", `${C}/announcements/{id}`, []],
  [GC, "classroom_api", "assignment", "POST", `${C}/courseWorkMaterials`, []],
  [GC, "classroom_api", "assignment", "PATCH", `${C}/courseWorkMaterials/{id}`, []],
  [GC, "classroom_web", "post", "POST", "(/u/\\d+)?/_/ClassroomUi/data/batchexecute", []],
  ["schoology", "schoology", "assignment", "POST", "/v1/sections/{id}/assignments", []],
  ["schoology", "schoology", "assignment", "PUT", "/v1/sections/{id}/assignments/{id}", []],
  ["schoology", "schoology", "announcement", "POST", `${SR}/updates`, []],
  ["schoology", "schoology", "announcement", "PUT", `${SR}/updates/{id}`, []],
  ["schoology", "schoology", "discussion", "POST", `${SR}/discussions`, []],
  ["schoology", "schoology", "discussion", "PUT", `${SR}/discussions/{id}`, []],
];
const ROUTES = TABLE.map(([lms, hosts, kind, methods, path, operations]) => ({
  lms,
  kind,
  hosts: HOSTS[hosts],
  methods: methods.split(" "),
  path: new RegExp(`^(?:${path.replaceAll("{id}", "[^/]+")})/?$`),
  operations,
}));
const LMS_HOSTS = [...new Set(Object.values(HOSTS).flat())];

function hostIn(host, hosts) {
  return hosts.some((h) => host === h || host.endsWith(`.${h}`));
}

/** A district's own LMS host names by LMS (setting `lms_hosts`), as lms.py's district_hosts. */
export function districtHosts(policy) {
  const hosts = policy?.settings?.lms_hosts;
  return hosts && typeof hosts === "object" && !Array.isArray(hosts) ? hosts : {};
}

/** Whether an LMS create/edit route lives on `host` (the extension keeps these bodies). */
export function isLmsHost(host, extraHosts = {}) {
  const name = String(host || "").toLowerCase().replace(/\.$/, "");
  return hostIn(name, [...LMS_HOSTS, ...Object.values(extraHosts).flat()]);
}

/** The LMS create/edit route of this request, or null. */
export function findRoute(url, method, extraHosts = {}) {
  let parts;
  try {
    parts = new URL(url);
  } catch {
    return null;
  }
  const host = parts.hostname.toLowerCase().replace(/\.$/, "");
  const verb = String(method || "GET").toUpperCase();
  for (const route of ROUTES) {
    const hosts = [...route.hosts, ...(extraHosts[route.lms] || [])];
    if (route.methods.includes(verb) && hostIn(host, hosts) && route.path.test(parts.pathname)) return route;
  }
  return null;
}

const LINK = /(?:https?:\/\/|\bwww\.)[^\s"'<>\\()[\]{}|^`]+/giu;
// "tiktok.com/@lhs" written without a scheme; never part of an email address or a longer name.
const BARE = new RegExp(
  "(?<![@\\p{L}\\p{N}_.-])(?:[a-z0-9-]+\\.)+(?:com|net|org|gg|tv|me|app|co|io|social)" +
    "(?![\\p{L}\\p{N}_-])(?:/[^\\s\"'<>\\\\()\\[\\]{}|^`]*)?",
  "giu",
);

function* strings(value) {
  if (typeof value === "string") {
    yield value;
    if (value[0] === "[" || value[0] === "{") { // JSON inside a JSON string (batchexecute's f.req)
      let inner = null;
      try {
        inner = JSON.parse(value);
      } catch {}
      yield* strings(inner);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) yield* strings(item);
  } else if (value && typeof value === "object") {
    for (const item of Object.values(value)) yield* strings(item);
  }
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", sol: "/", colon: ":", period: ".", nbsp: "\u00a0", num: "#", quest: "?", equals: "=", commat: "@" };

/** HTML character references undone as Python's html.unescape does for what can hide a link:
 * numeric ones (the ";" optional), the named ones above, and the legacy names written without
 * ";" ("&amp"). Other named references stay as written: they never change which host a link
 * names (tests/extension/test_lms_twin.py compares both engines on generated bodies). */
function unescapeHtml(text) {
  if (!text.includes("&")) return text;
  return text.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+);?|&([a-zA-Z][a-zA-Z0-9]{1,31});|&(amp|lt|gt|quot|nbsp)/g, (whole, number, name, legacy) => {
    if (legacy) return ENTITIES[legacy];
    if (name) return ENTITIES[name] ?? whole;
    const hex = number[1] === "x" || number[1] === "X";
    const code = parseInt(number.slice(hex ? 2 : 1), hex ? 16 : 10);
    if (!(code > 0) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\ufffd";
    return String.fromCodePoint(code);
  });
}

/** The request body as text: a string as it is (cut at MAX_BODY characters), bytes or
 * Chrome's {raw: [{bytes}]} decoded from their first MAX_BODY bytes, Chrome's {formData} as
 * the form it was. */
function textOf(body) {
  if (body == null) return "";
  if (typeof body === "string") return body.slice(0, MAX_BODY);
  if (typeof body === "object" && body.formData && typeof body.formData === "object") {
    const parts = [];
    for (const [name, values] of Object.entries(body.formData)) {
      for (const value of Array.isArray(values) ? values : [values]) parts.push(`${name}=${encodeURIComponent(String(value))}`);
    }
    return parts.join("&").slice(0, MAX_BODY);
  }
  return bodyText(body) || "";
}

/** The links in a bounded request body, as lms.py's linked_urls finds them. */
export function linkedUrls(body, contentType = "") {
  const text = textOf(body);
  if (!text) return [];
  const texts = [];
  if (String(contentType).includes("form-urlencoded") || /^[\w.[\]-]+=/.test(text)) {
    const decoded = percentDecode(text.replace(/\+/g, " "));
    texts.push(decoded);
    for (const part of decoded.split("&")) {
      const at = part.indexOf("=");
      texts.push(...strings(at < 0 ? "" : part.slice(at + 1)));
    }
  } else {
    try {
      texts.push(...strings(JSON.parse(text)));
    } catch { // not JSON, or nested past the stack (lms.py: RecursionError): the text itself
      texts.push(text);
    }
  }
  const found = new Set();
  for (let chunk of texts) {
    chunk = unescapeHtml(chunk.replaceAll("\\/", "/").replaceAll("\\u002F", "/"));
    const links = [...chunk.matchAll(LINK)];
    const bare = [...chunk.replace(LINK, " ").matchAll(BARE)];
    for (const match of [...links, ...bare]) {
      const link = match[0].slice(0, MAX_LINK).replace(/[.,;:!?]+$/, "");
      found.add(link.includes("://") ? link : `https://${link}`);
      if (found.size >= MAX_LINKS) return [...found];
    }
  }
  return [...found];
}

function operation(body) {
  try {
    const data = JSON.parse(textOf(body));
    const first = Array.isArray(data) ? data[0] : data;
    const name = first && typeof first === "object" ? first.operationName : null;
    return typeof name === "string" ? name : null;
  } catch {
    return null;
  }
}

/**
 * The social media platforms linked from an LMS assignment or announcement being created or
 * edited by this request: {lms, kind, platforms: [{id, name, approved}], sentence}, or null.
 * `extraHosts`: the district's own LMS hosts; by default the policy's `lms_hosts`.
 */
export function requiredPlatforms(policy, url, { method = "POST", headers = null, body = null, extraHosts = districtHosts(policy) } = {}) {
  const route = findRoute(url, method, extraHosts);
  if (!route) return null;
  if (route.operations.length && !route.operations.includes(operation(body))) return null;
  const lowered = {};
  for (const [name, value] of Object.entries(headers || {})) lowered[name.toLowerCase()] = value;
  const platforms = new Map();
  for (const link of linkedUrls(body, String(lowered["content-type"] || ""))) {
    const verdict = classify(policy, link);
    if (COUNTED.has(verdict.category) && verdict.activity !== "redirect" && verdict.platform_id && !platforms.has(verdict.platform_id)) {
      platforms.set(verdict.platform_id, { id: verdict.platform_id, name: verdict.platform || verdict.platform_id, approved: verdict.approved });
    }
  }
  if (!platforms.size) return null;
  // lms.py sorts (id, name, approved) tuples: by id, as ids are unique.
  const sorted = [...platforms.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { lms: route.lms, kind: route.kind, platforms: sorted, sentence: SENTENCE };
}

// Chrome's requestBody is the body as the page sent it: compressed when the page compressed
// it (CompressionStream, with its own Content-Encoding header). DecompressionStream undoes
// what CompressionStream makes: gzip and deflate (zlib-wrapped; raw deflate tried too, as
// lms.py does). br and zstd it does not take in every Chrome: such a body is read as sent,
// as an unknown coding is in the proxy (bodies.py).
const FORMATS = { gzip: ["gzip"], "x-gzip": ["gzip"], deflate: ["deflate", "deflate-raw"] };
// Compressed bytes per write. Chrome inflates each written chunk whole, ignoring backpressure,
// and deflate inflates at most ~1032:1: 64 bytes in is at most ~66 KB out, whatever the body.
const STEP = 64;
const MAX_INPUT = MAX_BODY + MAX_BODY / 8 + 1024; // compressed text is never much longer

function rawBytes(body, limit) {
  if (!Array.isArray(body?.raw)) return null;
  const parts = [];
  let size = 0;
  for (const part of body.raw) {
    if (!(part?.bytes instanceof ArrayBuffer) || size >= limit) continue;
    const bytes = new Uint8Array(part.bytes, 0, Math.min(part.bytes.byteLength, limit - size));
    parts.push(bytes);
    size += bytes.length;
  }
  const joined = new Uint8Array(size);
  parts.reduce((at, bytes) => (joined.set(bytes, at), at + bytes.length), 0);
  return joined;
}

/** The first `limit` bytes `bytes` inflate to (`format`: a DecompressionStream format), read
 * a step at a time and stopped there: a bomb costs no more than the limit and a step. Throws
 * when nothing decodes; a stream cut short gives what it had. */
async function inflate(bytes, format, limit) {
  const stream = new DecompressionStream(format);
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const parts = [];
  let size = 0;
  const feeding = (async () => {
    for (let at = 0; at < bytes.length && size <= limit; at += STEP) {
      await writer.write(bytes.subarray(at, at + STEP));
    }
    await writer.close();
  })().catch(() => {}); // its failures come out of read() as well
  try {
    while (size <= limit) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } catch (error) {
    if (!size) throw error;
  } finally {
    reader.cancel().catch(() => {});
  }
  await feeding;
  const out = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const part of parts) {
    if (at >= out.length) break;
    const piece = part.subarray(0, out.length - at);
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/**
 * Chrome's requestBody with its Content-Encoding (`encoding`) undone, at most MAX_BODY bytes
 * of it, as {raw: [{bytes}]}; the body as it came when it is not compressed, or not in a way
 * DecompressionStream undoes, or will not decode.
 */
export async function decodedBody(body, encoding) {
  const coding = String(encoding || "").trim().toLowerCase();
  const formats = FORMATS[coding];
  const bytes = formats ? rawBytes(body, MAX_INPUT) : null;
  if (!bytes?.length || typeof DecompressionStream !== "function") return body;
  for (const format of formats) {
    try {
      const out = await inflate(bytes, format, MAX_BODY);
      return { raw: [{ bytes: out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) }] };
    } catch {} // the next format, else as sent
  }
  return body;
}
