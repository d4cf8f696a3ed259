// Category feeds in the compiled policy: sites a district's feeds (UT1, hosts files, AdBlock
// lists) file under a category, consulted only when no curated entry knows the host.
//
// Twin of FeedIndex in policy_lists/feeds.py: the first feed listing a domain wins, a host
// matches its nearest listed parent, and a feed site is browsed only (feeds bring no rules).

const ACTIVITIES = ["browse", "comment", "direct_message", "signup"];
const indexCache = new WeakMap();

function feedSets(policy) {
  let sets = indexCache.get(policy);
  if (sets) return sets;
  // One Set per feed, built from the split string in one call: for a million domains that is
  // several times faster than filling a Map entry by entry.
  sets = policy.feeds.map((feed) => new Set(feed.domains ? feed.domains.split("\n") : []));
  indexCache.set(policy, sets);
  return sets;
}

/** The platform a feed makes of `host` (or of its nearest listed parent), or null. */
export function feedPlatform(policy, host) {
  if (!policy.feeds || !policy.feeds.length) return null;
  const sets = feedSets(policy);
  let name = host;
  let dot = name.indexOf(".");
  while (dot >= 0) { // a feed never lists a single label
    for (let number = 0; number < sets.length; number++) {
      if (sets[number].has(name)) return platformOf(policy.feeds[number], name);
    }
    name = name.slice(dot + 1);
    dot = name.indexOf(".");
  }
  return null;
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
