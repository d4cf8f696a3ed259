// The district's `block` (and, for navigations, `warn`) compiled into declarativeNetRequest
// rules: the browser itself stops a blocked send before it leaves the device, and a warned
// page is answered by the interstitial before the platform's server sees the request.
//
// webRequest in Manifest V3 only observes (blocking listeners are for force-installed
// extensions only), so this is the path that works for every install. DNR matches a URL,
// its host, method and resource type (websocket included), but neither request headers nor
// bodies: rules that need those (header rules, GraphQL operation names) are left to the
// observer in service_worker.js, which shows the banner and records the event. compileRules
// is pure (Node tests it); applyRules is the chrome.* glue.

import { forNavigation } from "../lib/decide.js";

const SCHEME = "^[a-z][a-z0-9+.-]*://";
const INTERSTITIAL_PATH = "/pages/interstitial.html";
// What the engines drop from a segment before matching: trailing dots, a matrix parameter
// ("/direct.;x=1" is /direct). After the last segment only: Chrome's 2 KB limit on a compiled
// regex allows no more for long paths.
const SEGMENT_TAIL = "\\.*(?:;[^/?#]*)?";
// Between segments: empty ones are dropped. (Segments of only dots, spaces or a matrix
// parameter, which the engines drop too, would make the regex too large for Chrome's 2 KB
// limit: such tricks are left to the observer, which warns and records them.)
const SLASH = "/+";

/** Whether DNR can express the rule: no header condition. (Operation names are matched in
 * the last path segment only, where X's web client puts them: in a header or body, the
 * observer finds them.) */
function expressible(rule) {
  return !Object.keys(rule.headers || {}).length;
}

function escapeRegex(text) {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

/** A path segment as a regex: a character the URL may carry percent-encoded matches either way
 * (Chromium decodes escaped letters, digits and -._~ itself, so those stay plain). */
function segmentRegex(segment) {
  if (segment === "*") return "[^/?#]+";
  let out = "";
  for (const char of segment) {
    if (/[A-Za-z0-9\-._~]/.test(char)) {
      out += escapeRegex(char);
      continue;
    }
    const escaped = [...new TextEncoder().encode(char)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
    out += `(?:${escapeRegex(char)}|${escaped})`;
  }
  return out;
}

function segmentsOf(rule) {
  if (Array.isArray(rule.segments)) return rule.segments;
  return (rule.paths || []).map((p) => p.split("/").filter(Boolean));
}

/** A host pattern with "*" in its first label ("im-api*.tiktok.com") as a regex. */
function hostRegex(host) {
  const dot = host.indexOf(".");
  const first = host.slice(0, dot < 0 ? host.length : dot).split("*").map(escapeRegex).join("[^./?#@]*");
  return first + (dot < 0 ? "" : escapeRegex(host.slice(dot)));
}

/** Operation names per regex: a few long names in one alternation exceed Chrome's 2 KB limit. */
const OPERATIONS_PER_RULE = 1;

/**
 * The URL condition of a rule, or null when the platform's domains alone say it:
 * `requestDomains` (host or its subdomains) and, for paths or wildcard hosts, a case-blind
 * regex on the whole URL (segment prefixes as the engines match them: "*" is one segment,
 * repeated slashes count as one).
 */
function urlConditions(rule, domains) {
  const operations = rule?.operations || [];
  if (operations.length > OPERATIONS_PER_RULE) {
    const conditions = [];
    for (let i = 0; i < operations.length; i += OPERATIONS_PER_RULE) {
      const some = operations.slice(i, i + OPERATIONS_PER_RULE);
      conditions.push(...urlConditions({ ...rule, operations: some }, domains));
    }
    return conditions;
  }
  const paths = rule ? segmentsOf(rule) : [];
  if (paths.length < 2 || paths.some((s) => !s.length)) return [urlCondition(rule, domains)];
  return paths.map((path) => urlCondition({ ...rule, segments: [path] }, domains));
}

function urlCondition(rule, domains) {
  const hosts = rule?.hosts?.length ? rule.hosts : domains;
  const wild = hosts.some((h) => h.includes("*"));
  const condition = {
    requestDomains: [...new Set(hosts.map((h) => (h.includes("*") ? h.slice(h.indexOf(".") + 1) : h)))],
  };
  const paths = rule ? segmentsOf(rule).filter((s) => s.length) : [];
  const emptyPath = rule ? segmentsOf(rule).some((s) => !s.length) : true;
  const operations = rule?.operations || [];
  if (!wild && (!paths.length || emptyPath) && !operations.length) return condition;
  const host = wild ? `(?:[^/?#@]*\\.)?(?:${hosts.map(hostRegex).join("|")})(?::[0-9]+)?` : "[^/?#]+";
  const prefix = paths.length && !emptyPath
    ? `${SLASH}(?:${paths.map((s) => s.map(segmentRegex).join(SLASH)).join("|")})`
    : "";
  const path = operations.length
    ? `${prefix}(?:/[^?#]*)?${SLASH}(?:${operations.map(segmentRegex).join("|")})${SEGMENT_TAIL}/*(?:[?#]|$)`
    : prefix
      ? `${prefix}${SEGMENT_TAIL}(?:[/?#]|$)`
      : "(?:[/?#]|$)";
  condition.regexFilter = SCHEME + host + path;
  condition.isUrlFilterCaseSensitive = false;
  return condition;
}

/** Domain -> platform id: the inline domains, then the domains_file names no inline one has. */
function owners(policy) {
  const owner = new Map();
  for (const p of policy.platforms) for (const d of p.domains) owner.set(d, p.id);
  const inline = new Set(owner.keys());
  for (const p of policy.platforms) {
    for (const d of p.domains_text ? p.domains_text.split("\n") : []) {
      if (!inline.has(d)) owner.set(d, p.id);
    }
  }
  return owner;
}

/** A platform's domains as the engines match them: inline, then the file's names it owns. */
function domainsOf(platform, owner) {
  if (!platform.domains_text) return platform.domains;
  const listed = platform.domains_text.split("\n").filter((d) => owner.get(d) === platform.id);
  return [...platform.domains, ...listed];
}

/** The child domains other platforms own under this platform's domains (nearest owner wins). */
function childDomains(owner) {
  const children = new Map();
  for (const [domain, id] of owner) {
    for (let at = domain.indexOf("."); at >= 0; at = domain.indexOf(".", at + 1)) {
      const parent = owner.get(domain.slice(at + 1));
      if (parent && parent !== id) {
        if (!children.has(parent)) children.set(parent, []);
        children.get(parent).push(domain);
        break;
      }
    }
  }
  return children;
}

/**
 * The DNR rules for this policy. Per platform, its rules in list order and then its plain
 * browsing, highest priority first (the engines take the first matching rule): a `block`
 * becomes a block rule for everything but top-level pages, and an earlier rule with another
 * action an allow rule above it, so DNR never blocks what the engines would not. With
 * `navigations`, top-level pages that would get the interstitial or the block page are
 * redirected to it (unless a continue is in force); behind the district proxy the proxy
 * answers those itself, so there are none.
 */
export function compileRules(policy, {
  exempt = false, behindProxy = false, navigations = false, continues = {}, now = Date.now(),
} = {}) {
  if (!policy || exempt) return [];
  const owner = owners(policy);
  const children = childDomains(owner);
  const rules = [];
  for (const platform of policy.platforms) {
    const excluded = children.get(platform.id);
    const domains = domainsOf(platform, owner);
    const entries = [...(platform.rules || []).filter(expressible), null];
    const verdictOf = (activity) => {
      const verdict = platform.verdicts?.[activity] || { action: "allow" };
      return activity === "redirect" ? { ...verdict, action: "allow" } : verdict;
    };
    const classes = [{ pages: false }];
    if (navigations && !behindProxy) classes.push({ pages: true });
    for (const { pages } of classes) {
      const emitted = [];
      let stopBelow = false;
      for (let i = entries.length - 1; i >= 0; i--) {
        const rule = entries[i];
        const activity = rule ? rule.activity : "browse";
        const verdict = verdictOf(activity);
        let stop;
        if (pages) {
          if (rule && (rule.websocket || (rule.methods?.length && !rule.methods.includes("GET")))) continue;
          const show = forNavigation(
            { ...verdict, activity, approved: platform.approved, platform_id: platform.id },
            { continues, now },
          );
          stop = show === "interstitial" || show === "block";
        } else {
          stop = verdict.action === "block";
        }
        if (!stop && !stopBelow) continue;
        stopBelow ||= stop;
        const conditions = urlConditions(rule, domains);
        if (excluded) for (const condition of conditions) condition.excludedRequestDomains = excluded;
        const action = !stop
          ? { type: "allow" }
          : pages
            ? { type: "redirect", redirect: { extensionPath: INTERSTITIAL_PATH } }
            : { type: "block" };
        const priority = entries.length - i;
        for (const condition of conditions) {
          for (const typed of resourceConditions(rule, pages)) {
            emitted.push({ priority, action, condition: { ...condition, ...typed } });
          }
        }
      }
      rules.push(...emitted.reverse());
    }
  }
  return rules.map((rule, i) => ({ id: i + 1, ...rule }));
}

/** Resource types and methods: a websocket rule matches only handshakes, methods as listed. */
function resourceConditions(rule, pages) {
  if (pages) return [{ resourceTypes: ["main_frame"] }];
  if (rule?.websocket) return [{ resourceTypes: ["websocket"] }];
  const methods = rule?.methods || [];
  if (!methods.length) return [{ excludedResourceTypes: ["main_frame"] }];
  // requestMethods leaves out ws:// requests: a GET rule covers handshakes in a rule of its own.
  const typed = [{ excludedResourceTypes: ["main_frame", "websocket"], requestMethods: methods.map((m) => m.toLowerCase()) }];
  if (methods.includes("GET")) typed.push({ resourceTypes: ["websocket"] });
  return typed;
}

let applied = null;
/** The rules the browser refused at the last update, with its reasons (for the logs). */
export const refused = [];
let applying = Promise.resolve();

/**
 * Replace the extension's dynamic rules with these (one atomic update). A rule the browser
 * refuses must not cost the others: then they are added one by one and the refused ones
 * logged loudly. Resolves to the number of rules in force.
 */
export function applyRules(rules) {
  const run = applying.then(async () => {
    const wanted = JSON.stringify(rules);
    if (wanted === applied) return rules.length;
    const dnr = chrome.declarativeNetRequest;
    const removeRuleIds = (await dnr.getDynamicRules()).map((r) => r.id);
    try {
      await dnr.updateDynamicRules({ removeRuleIds, addRules: rules });
      applied = wanted;
      return rules.length;
    } catch (error) {
      console.error("StaffGuard: the browser refused the blocking rules; adding them one by one", error);
    }
    await dnr.updateDynamicRules({ removeRuleIds, addRules: [] }).catch(() => {});
    let count = 0;
    refused.length = 0;
    for (const rule of rules) {
      try {
        await dnr.updateDynamicRules({ addRules: [rule] });
        count++;
      } catch (error) {
        console.error("StaffGuard: refused rule", JSON.stringify(rule.condition), error);
        refused.push({ condition: rule.condition, error: String(error?.message || error) });
      }
    }
    applied = null;
    return count;
  });
  applying = run.catch((error) => console.error("StaffGuard: blocking rules", error));
  return run;
}
