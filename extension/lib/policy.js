// The verdict for a URL, decided on the device from the compiled policy the admin site serves.
//
// A twin of the Python engine (policy_lists/engine.py and urls.py): same document, same
// steps, held to it by the shared vectors in tests/vectors/. No chrome.* here, so Node tests it.

import { feedPlatform } from "./feeds.js";
import { ipInNetwork, parseIp } from "./ip.js";

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

/** {scheme, host, url, path} for an http(s)/ws(s) URL, or null. */
export function parseTarget(text) {
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

/** Decoded, lowercase path segments without empty and dot segments ("/A//b/../c" -> [a, c]). */
export function pathSegments(path) {
  const segments = [];
  for (const raw of path.replace(/\\/g, "/").split("/")) {
    const segment = (raw.includes("%") ? percentDecode(raw) : raw).toLowerCase();
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return segments;
}

function percentDecode(text) {
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

function compile(policy) {
  let compiled = compiledCache.get(policy);
  if (compiled) return compiled;
  const domains = new Map();
  const platforms = new Map();
  for (const raw of policy.platforms) {
    const platform = {
      id: raw.id,
      name: raw.name,
      category: raw.category,
      approved: raw.approved,
      verdicts: raw.verdicts,
      rules: raw.rules.map((rule) => ({
        activity: rule.activity,
        paths: rule.paths.map((p) => p.split("/").filter(Boolean)),
        methods: new Set(rule.methods),
        hosts: rule.hosts,
        headers: Object.entries(rule.headers || {}).map(([k, v]) => [k.toLowerCase(), new Set(v)]),
      })),
    };
    platforms.set(raw.id, platform);
    for (const domain of raw.domains) domains.set(domain, platform);
  }
  const exemptions = policy.exemptions.map((e) => ({
    name: e.name,
    users: new Set(e.users),
    userDomains: e.user_domains,
    networks: e.networks,
  }));
  compiled = { domains, platforms, exemptions };
  compiledCache.set(policy, compiled);
  return compiled;
}

/** The platform whose domain is `host` or its nearest listed parent. */
export function platformForHost(policy, host) {
  const { domains } = compile(policy);
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
    if (address && e.networks.some((n) => ipInNetwork(address, n))) return e.name;
  }
  return null;
}

function header(headers, name) {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function hasPrefix(segments, pattern) {
  if (segments.length < pattern.length) return false;
  return pattern.every((p, i) => p === "*" || p === segments[i]);
}

function activityOf(platform, target, method, headers) {
  if (!platform.rules.length) return "browse";
  const segments = pathSegments(target.path);
  for (const rule of platform.rules) {
    if (rule.methods.size && !rule.methods.has(method)) continue;
    if (rule.hosts.length && !rule.hosts.some((h) => target.host === h || target.host.endsWith("." + h))) continue;
    if (!rule.headers.every(([name, accepted]) => accepted.has(header(headers, name)))) continue;
    if (rule.paths.length && !rule.paths.some((p) => hasPrefix(segments, p))) continue;
    return rule.activity;
  }
  return "browse";
}

function stripQuery(url) {
  if (typeof url !== "string") return "";
  return url.split("#", 1)[0].split("?", 1)[0].slice(0, 2048);
}

/**
 * The verdict for one request; never throws, whatever `url` holds.
 * @returns {{url, host, platform_id, platform, category, approved, activity, action, exempt,
 *            reason, policy_ref, feed}}
 */
export function classify(policy, url, { method = "GET", user = null, clientIp = null, headers = null } = {}) {
  const target = typeof url === "string" ? parseTarget(url) : null;
  const exemption = exemptionFor(policy, user, clientIp);
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
  const activity = activityOf(platform, target, (method || "GET").toUpperCase(), headers);
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
