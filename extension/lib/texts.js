// Words on the interstitial, matching the proxy's page (proxy_addons/pages.py).

const ACTIVITY_WORDS = {
  browse: "using",
  comment: "commenting on",
  direct_message: "direct messaging on",
  signup: "setting up an account on",
};

export function interstitialText(verdict, settings = {}, blocked = false) {
  const platform = verdict.platform || verdict.host;
  const permissionUrl = verdict.activity === "signup" && settings.permission_url
    ? `${settings.permission_url}?platform=${encodeURIComponent(verdict.platform_id)}`
    : null;
  return {
    title: blocked ? "Blocked by district policy" : "Check the district policy first",
    heading: blocked
      ? `${platform} is blocked on district devices`
      : `You are about to start ${ACTIVITY_WORDS[verdict.activity] || "using"} ${platform}`,
    permissionUrl,
  };
}
