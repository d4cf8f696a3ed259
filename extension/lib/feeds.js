// Category feeds in the compiled policy: sites a district's feeds (UT1, hosts files, AdBlock
// lists) file under a category, consulted only when no curated entry knows the host.
//
// Twin of FeedIndex in policy_lists/feeds.py: the first feed listing a domain wins, a host
// matches its nearest listed parent, and a feed site is browsed only (feeds bring no rules).

const ACTIVITIES = ["browse", "comment", "direct_message", "signup"];
const indexCache = new WeakMap();

function feedIndex(policy) {
  let index = indexCache.get(policy);
  if (index) return index;
  index = new Map();
  const feeds = policy.feeds || [];
  for (let number = feeds.length - 1; number >= 0; number--) {
    const domains = feeds[number].domains;
    if (!domains) continue;
    for (const domain of domains.split("\n")) index.set(domain, number);
  }
  indexCache.set(policy, index);
  return index;
}

/** The platform a feed makes of `host` (or of its nearest listed parent), or null. */
export function feedPlatform(policy, host) {
  if (!policy.feeds || !policy.feeds.length) return null;
  const index = feedIndex(policy);
  let name = host;
  for (;;) {
    const number = index.get(name);
    if (number !== undefined) return platformOf(policy.feeds[number], name);
    const dot = name.indexOf(".");
    if (dot < 0) return null;
    name = name.slice(dot + 1);
  }
}

function platformOf(feed, domain) {
  const verdict = { ...feed.verdict, reason: feed.verdict.reason.replaceAll("{domain}", domain) };
  return {
    id: domain,
    name: domain,
    category: feed.category,
    approved: false,
    rules: [],
    verdicts: Object.fromEntries(ACTIVITIES.map((a) => [a, verdict])),
    feed: feed.name,
  };
}
