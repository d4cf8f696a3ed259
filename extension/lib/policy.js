// The verdict for a URL, decided on the device from the compiled policy the admin site serves.
//
// A twin of the Python engine (policy_lists/engine.py and urls.py): same document, same
// steps, held to it by the shared vectors in tests/vectors/. No chrome.* here, so Node tests it.

import { feedPlatform } from "./feeds.js";
import { parseIp } from "./ip.js";

/** Bytes of a request body read for a GraphQL operation name, never more. */
export const BODY_LIMIT = 64 * 1024;
const OPERATION_HEADER = "x-fb-friendly-name";
const OPERATION_FIELDS = ["fb_api_req_friendly_name", "operationName"];

const SCHEME_PORTS = { http: "80", https: "443", ws: "80", wss: "443" };
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+\-]*:/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;
const TAB_OR_NEWLINE = /[\t\n\r]/;
const compiledCache = new WeakMap();

/** Clean input as a browser's URL parser does; https is the default scheme. */
export function addScheme(text) {
  if (text.charCodeAt(0) <= 0x20 || text.charCodeAt(text.length - 1) <= 0x20) {
    text = text.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "");
  }
  if (TAB_OR_NEWLINE.test(text)) text = text.replace(/[\t\n\r]/g, "");
  if (text.startsWith("//") || text.startsWith("\\\\")) return "https:" + text;
  if (HAS_SCHEME.test(text)) return text;
  return "https://" + text;
}

// The common case, read without the URL parser: a lowercase http(s)/ws(s) URL whose host is
// plain ASCII labels (the last one starting with a letter, so never an IPv4 number; no "xn--",
// no port, no user) and whose path holds only characters the URL standard keeps as they are,
// with no dot segments. For these `new URL()` changes nothing, so its answer is known; anything
// else goes through `new URL()`. extension/tests/policy_fast_path.test.mjs holds the two alike.
const SIMPLE = /^(https?|wss?):\/\/((?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*)(\/[\w\-.~!$&'()*+,;=:@/%]*)?(?:[?#]|$)/;
const NOT_SIMPLE_PATH = /\/\.|%2e/i;

export function simpleTarget(text) {
  const match = SIMPLE.exec(text);
  if (match === null) return null;
  const [, scheme, host, path = "/"] = match;
  if (host.includes("xn--") || NOT_SIMPLE_PATH.test(path)) return null;
  return { scheme, host, url: `${scheme}://${host}${path}`, path };
}

/** {scheme, host, url, path} for an http(s)/ws(s) URL, or null. */
export function parseTarget(text) {
  return simpleTarget(text) ?? parseTargetByUrl(text);
}

/** parseTarget through the URL parser, for any input. */
export function parseTargetByUrl(text) {
  let parsed;
  try {
    parsed = new URL(addScheme(text));
  } catch {
    return null;
  }
  const scheme = parsed.protocol.replace(/:$/, "");
  let host = parsed.hostname;
  if (host.startsWith(".") || host.endsWith(".")) host = host.replace(/^\.+|\.+$/g, "");
  if (!(scheme in SCHEME_PORTS) || !host) return null;
  let path = parsed.pathname || "/";
  if (path.includes("/.") && DOT_SEGMENT.test(path)) path = resolveDots(path);
  const port = parsed.port && SCHEME_PORTS[scheme] !== String(Number(parsed.port))
    ? `:${Number(parsed.port)}` : "";
  return { scheme, host, url: `${scheme}://${host}${port}${path}`, path };
}

/**
 * Remove "." and ".." segments as the URL standard does. A conforming parser has already done
 * this; the ada 2.9 inside Node 20 misses some (after "/.:./"), and the twin must not differ.
 */
function resolveDots(path) {
  const out = [];
  const parts = path.split("/").slice(1);
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === "..") out.pop();
    if (part === "." || part === "..") {
      if (last) out.push("");
      return;
    }
    out.push(part);
  });
  return "/" + out.join("/");
}

/**
 * Path segments as servers read them (see path_segments in policy_lists/urls.py): lowercase,
 * no empty or dot segments, matrix parameters dropped, percent-escapes decoded once, trailing
 * dots and spaces dropped ("/A//b/../%64irect;x=1/inbox." -> [a, direct, inbox]).
 */
export function pathSegments(path) {
  const segments = [];
  for (let raw of path.replace(/\\/g, "/").split("/")) {
    const semicolon = raw.indexOf(";");
    if (semicolon >= 0) raw = raw.slice(0, semicolon);
    let segment = (raw.includes("%") ? percentDecode(raw) : raw).toLowerCase();
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      segments.pop();
      continue;
    }
    const last = segment[segment.length - 1];
    if (last === "." || last === " ") {
      segment = segment.replace(/[. ]+$/, "");
      if (segment === "") continue;
    }
    segments.push(segment);
  }
  return segments;
}

export function percentDecode(text) {
  const bytes = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      const code = text.codePointAt(i);
      const char = String.fromCodePoint(code);
      bytes.push(...encoder.encode(char));
      i += char.length - 1;
    }
  }
  return new TextDecoder("utf-8").decode(new Uint8Array(bytes));
}

function compileRule(rule) {
  const hosts = [];
  const hostPatterns = [];
  for (const host of rule.hosts) {
    if (!host.includes("*")) {
      hosts.push(host);
      continue;
    }
    const dot = host.indexOf(".");
    const [prefix, suffix] = host.slice(0, dot).split("*");
    hostPatterns.push({ prefix, suffix, parent: host.slice(dot + 1) });
  }
  const segments = rule.segments || rule.paths.map((p) => p.split("/").filter(Boolean));
  return {
    activity: rule.activity,
    paths: segments,
    methods: new Set(rule.methods),
    hosts,
    hostPatterns,
    headers: Object.entries(rule.headers || {}).map(([k, v]) => [k.toLowerCase(), new Set(v)]),
    websocket: rule.websocket === true,
    operations: new Set((rule.operations || []).map((name) => name.toLowerCase())),
  };
}

function compileRanges(exemption) {
  if (exemption.network_ranges) {
    return exemption.network_ranges.map(([version, first, last]) => ({
      version, first: BigInt("0x" + first), last: BigInt("0x" + last),
    }));
  }
  return exemption.networks.map((network) => {  // a document from before ranges were shipped
    const [base, bits] = network.split("/");
    const net = parseIp(base);
    const width = net.version === 4 ? 32n : 128n;
    const span = (1n << (width - BigInt(bits ?? width))) - 1n;
    return { version: net.version, first: net.value & ~span, last: net.value | span };
  });
}

let lastPolicy = null;  // the document of the last call, and its indexes: a WeakMap look-up
let lastCompiled = null;  // per call cost as much as the rest of classify()

function compile(policy) {
  if (policy === lastPolicy) return lastCompiled;
  let compiled = compiledCache.get(policy);
  if (compiled) {
    lastPolicy = policy;
    lastCompiled = compiled;
    return compiled;
  }
  const domains = new Map();
  const platforms = new Map();
  for (const raw of policy.platforms) {
    const platform = {
      id: raw.id,
      name: raw.name,
      category: raw.category,
      approved: raw.approved,
      verdicts: raw.verdicts,
      rules: raw.rules.map(compileRule),
    };
    platforms.set(raw.id, platform);
    for (const domain of raw.domains) domains.set(domain, platform);
  }
  // A domains_file's names (one newline-joined text) rank below every inline domain.
  const inline = policy.platforms.some((p) => p.domains_text) ? new Set(domains.keys()) : null;
  for (const raw of inline ? policy.platforms : []) {
    if (!raw.domains_text) continue;
    for (const domain of raw.domains_text.split("\n")) {
      if (!inline.has(domain)) domains.set(domain, platforms.get(raw.id));
    }
  }
  const exemptions = policy.exemptions.map((e) => ({
    name: e.name,
    users: new Set(e.users),
    userDomains: e.user_domains,
    ranges: compileRanges(e),
  }));
  compiled = { domains, platforms, exemptions };
  compiledCache.set(policy, compiled);
  lastPolicy = policy;
  lastCompiled = compiled;
  return compiled;
}

export const MAX_DNS_NAME = 253; // characters of a DNS name in text form

/**
 * `host` if it can be a DNS name; else its last labels that fit in MAX_DNS_NAME. Walking every
 * parent of a 64 KiB host hashes each one (quadratic); a listed domain is at the end of a host,
 * so the labels kept are the ones it can be and a long host never loses its warning.
 * (policy_lists/engine.py `dns_tail`, its twin.)
 */
export function dnsTail(host) {
  if (host.length <= MAX_DNS_NAME) return host;
  const tail = host.slice(-MAX_DNS_NAME - 1);
  const dot = tail.indexOf(".");
  return dot < 0 ? "" : tail.slice(dot + 1);
}

/** The platform whose domain is `host` or its nearest listed parent. */
export function platformForHost(policy, host) {
  const { domains } = compile(policy);
  host = dnsTail(host);
  let name = host;
  for (;;) {
    const platform = domains.get(name);
    if (platform) return platform;
    const dot = name.indexOf(".");
    if (dot < 0) return feedPlatform(policy, host);
    name = name.slice(dot + 1);
  }
}

/** The name of the exemption covering this user or client address, or null. */
export function exemptionFor(policy, user, clientIp) {
  const { exemptions } = compile(policy);
  if (!exemptions.length) return null;
  user = user ? user.trim().toLowerCase() : null;
  const address = clientIp ? parseIp(clientIp.trim().replace(/^\[+|\]+$/g, "")) : null;
  for (const e of exemptions) {
    if (user && (e.users.has(user) || e.userDomains.some((d) => user.endsWith(d)))) return e.name;
    if (address && e.ranges.some((r) => r.version === address.version
      && r.first <= address.value && address.value <= r.last)) return e.name;
  }
  return null;
}

/** A header's value from an object ({name: value}) or Chrome's [{name, value}] list. */
function header(headers, name) {
  if (!headers || typeof headers !== "object") return undefined;
  if (Array.isArray(headers)) {
    const found = headers.find((h) => h && typeof h.name === "string" && h.name.toLowerCase() === name);
    return found ? found.value : undefined;
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function hasPrefix(segments, pattern) {
  if (segments.length < pattern.length) return false;
  return pattern.every((p, i) => p === "*" || p === segments[i]);
}

function matchesHost(rule, host) {
  if (!rule.hosts.length && !rule.hostPatterns.length) return true;
  if (rule.hosts.some((h) => host === h || host.endsWith("." + h))) return true;
  return rule.hostPatterns.some(({ prefix, suffix, parent }) => {
    if (!host.endsWith("." + parent)) return false;
    const before = host.slice(0, host.length - parent.length - 1);
    const label = before.slice(before.lastIndexOf(".") + 1);
    return label.length >= prefix.length + suffix.length
      && label.startsWith(prefix) && label.endsWith(suffix);
  });
}

function isUpgrade(headers) {
  const value = header(headers, "upgrade");
  return typeof value === "string"
    && value.split(",").some((token) => token.trim().toLowerCase() === "websocket");
}

function formDecode(text) {
  return text.includes("%") || text.includes("+") ? percentDecode(text.replace(/\+/g, " ")) : text;
}

function jsonOperations(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return [];
  }
  const names = [];
  for (const item of Array.isArray(data) ? data : [data]) {
    if (!item || typeof item !== "object" || Array.isArray(item)) continue;
    for (const field of OPERATION_FIELDS) {
      if (Object.hasOwn(item, field) && typeof item[field] === "string") names.push(item[field].toLowerCase());
    }
  }
  return names;
}

export function bodyText(body) {
  if (typeof body === "string") {
    if (body.length <= BODY_LIMIT / 4) return body;  // cannot pass the limit as UTF-8
    body = new TextEncoder().encode(body);
  } else if (body instanceof ArrayBuffer) {
    body = new Uint8Array(body, 0, Math.min(body.byteLength, BODY_LIMIT));
  } else if (Array.isArray(body?.raw)) {  // Chrome's requestBody.raw: [{bytes}, {file}]
    const parts = [];
    let size = 0;
    for (const part of body.raw) {
      if (!(part?.bytes instanceof ArrayBuffer) || size >= BODY_LIMIT) continue;
      const bytes = new Uint8Array(part.bytes, 0, Math.min(part.bytes.byteLength, BODY_LIMIT - size));
      parts.push(bytes);
      size += bytes.length;
    }
    body = new Uint8Array(size);
    parts.reduce((at, bytes) => (body.set(bytes, at), at + bytes.length), 0);
  }
  if (!ArrayBuffer.isView(body)) return null;
  const bytes = new Uint8Array(body.buffer, body.byteOffset, Math.min(body.byteLength, BODY_LIMIT));
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

/**
 * Operation names (lowercase) in a request body: a string, bytes (ArrayBuffer, a typed array,
 * Chrome's {raw: [{bytes}]}) read up to BODY_LIMIT, or Chrome's {formData: {name: [values]}}.
 * Form fields fb_api_req_friendly_name / operationName; JSON, one object or a batched list.
 */
export function bodyOperations(body) {
  if (body && typeof body === "object" && body.formData && typeof body.formData === "object") {
    return OPERATION_FIELDS.flatMap((field) => {
      const values = Object.hasOwn(body.formData, field) ? body.formData[field] : [];
      return (Array.isArray(values) ? values : [values])
        .filter((v) => typeof v === "string").map((v) => v.toLowerCase());
    });
  }
  const text = body == null ? null : bodyText(body);
  if (text === null) return [];
  if (/^[ \t\n\r]*[{[]/.test(text)) return jsonOperations(text);
  const names = [];
  for (const part of text.split("&")) {
    const at = part.indexOf("=");
    const [name, value] = at < 0 ? [part, ""] : [part.slice(0, at), part.slice(at + 1)];
    if (OPERATION_FIELDS.includes(formDecode(name))) names.push(formDecode(value).toLowerCase());
  }
  return names;
}

function operationsOf(segments, headers, body) {
  const names = new Set(segments.slice(-1));
  const value = header(headers, OPERATION_HEADER);
  if (typeof value === "string") names.add(value.toLowerCase());
  for (const name of bodyOperations(body)) names.add(name);
  return names;
}

function activityOf(platform, target, method, request) {
  if (!platform.rules.length) return "browse";
  const segments = pathSegments(target.path);
  const { headers, body, websocket } = request;
  let names = null;
  for (const rule of platform.rules) {
    if (rule.methods.size && !rule.methods.has(method)) continue;
    if (!matchesHost(rule, target.host)) continue;
    if (!rule.headers.every(([name, accepted]) => accepted.has(header(headers, name)))) continue;
    if (rule.paths.length && !rule.paths.some((p) => hasPrefix(segments, p))) continue;
    if (rule.websocket && !(websocket === true || target.scheme === "ws" || target.scheme === "wss"
      || isUpgrade(headers))) continue;
    if (rule.operations.size) {
      if (names === null) names = operationsOf(segments, headers, body);  // once, and only if needed
      if (![...rule.operations].some((name) => names.has(name))) continue;
    }
    return rule.activity;
  }
  return "browse";
}

/** Rules of the platform of `host` that apply to that host. */
function rulesFor(policy, host) {
  host = typeof host === "string" ? host.toLowerCase().replace(/^\.+|\.+$/g, "") : "";
  const platform = host ? platformForHost(policy, host) : null;
  return platform ? platform.rules.filter((rule) => matchesHost(rule, host)) : [];
}

/** Whether a request to `host` may need its body (a GraphQL operation name) to be decided. */
export function needsBody(policy, host) {
  return rulesFor(policy, host).some((rule) => rule.operations.size > 0);
}

/** Whether a request to `host` may need its headers (header rules, operation names in
 *  x-fb-friendly-name) to be decided; websocket handshakes are known from the resource type. */
export function needsHeaders(policy, host) {
  return rulesFor(policy, host).some((rule) => rule.headers.length > 0 || rule.operations.size > 0);
}

function stripQuery(url) {
  if (typeof url !== "string") return "";
  return url.split("#", 1)[0].split("?", 1)[0].slice(0, 2048);
}

/**
 * The verdict for one request; never throws, whatever `url`, `headers` or `body` hold.
 * `websocket: true` for a websocket handshake (Chrome's resource type "websocket"); `body` is
 * read only by rules with operations (see bodyOperations).
 * @returns {{url, host, platform_id, platform, category, approved, activity, action, exempt,
 *            reason, policy_ref, feed}}
 */
export function classify(policy, url, {
  method = "GET", user = null, clientIp = null, headers = null, body = null, websocket = false,
} = {}) {
  const target = typeof url === "string" ? parseTarget(url) : null;
  const exemption = user || clientIp ? exemptionFor(policy, user, clientIp) : null;
  const platform = target ? platformForHost(policy, target.host) : null;
  if (!platform) {
    return {
      url: target ? target.url : stripQuery(url),
      host: target ? target.host : "",
      platform_id: null,
      platform: null,
      category: "unclassified",
      approved: false,
      activity: "browse",
      action: "allow",
      exempt: exemption !== null,
      reason: policy.unclassified.reason,
      policy_ref: policy.unclassified.policy_ref,
      feed: null,
    };
  }
  const activity = activityOf(platform, target, (method || "GET").toUpperCase(), { headers, body, websocket });
  let { action, reason, policy_ref } = platform.verdicts[activity];
  if (exemption !== null && action !== "allow") {
    action = "allow";
    reason = policy.exempt.reason.replace("{exemption}", exemption);
    policy_ref = policy.exempt.policy_ref;
  }
  return {
    url: target.url,
    host: target.host,
    platform_id: platform.id,
    platform: platform.name,
    category: platform.category,
    approved: platform.approved,
    activity,
    action,
    exempt: exemption !== null,
    reason,
    policy_ref,
    feed: platform.feed ?? null,
  };
}
