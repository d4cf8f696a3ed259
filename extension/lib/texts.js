// Words on the interstitial and the banner: the proxy's own (proxy_addons/templates/staff.json,
// copied into extension/staff_pages/ by `python -m proxy_addons.pages`), so both paths say the same.
import TEXTS from "../staff_pages/staff_texts.js";

export { TEXTS };

/** The permission form for this platform, for a sign-up only (as the proxy links it). */
export function permissionUrl(verdict, settings = {}) {
  const url = settings.permission_url;
  if (verdict.activity !== "signup" || !verdict.platform_id) return null;
  if (typeof url !== "string" || !/^https?:\/\//i.test(url)) return null;
  return `${url}?platform=${encodeURIComponent(verdict.platform_id)}`;
}

/** The heading, worded by activity: a block of sign-up is not a block of the whole site. */
export function heading(verdict, blocked) {
  const platform = verdict.platform || verdict.host;
  const doing = TEXTS.activity_words[verdict.activity] || TEXTS.activity_words.browse;
  let pattern = TEXTS.heading.warn;
  if (blocked) pattern = verdict.activity === "browse" ? TEXTS.heading.block_browse : TEXTS.heading.block;
  return pattern
    .replace("{doing}", doing)
    .replace("{Doing}", doing.charAt(0).toUpperCase() + doing.slice(1))
    .replace("{platform}", platform);
}

export function interstitialText(verdict, settings = {}, blocked = false) {
  return {
    title: TEXTS.title[blocked ? "block" : "warn"],
    heading: heading(verdict, blocked),
    permissionUrl: permissionUrl(verdict, settings),
  };
}

/** `A`, `A and B`, `A, B and C`: platform names as a sentence says them (pages.platform_list). */
export function platformList(names) {
  if (names.length < 2) return names.join("");
  return `${names.slice(0, -1).join(", ")}${TEXTS.student_required.and}${names[names.length - 1]}`;
}

/** The notice for an LMS post linking to social media (lib/lms.js's finding), in the proxy's
 * words (pages.lms_notice): platform names and the policy's sentence, never the links. */
export function lmsNotice(finding) {
  const words = TEXTS.student_required;
  return words.notice
    .replace("{kind}", words.kinds[finding.kind] || finding.kind)
    .replace("{platforms}", platformList(finding.platforms.map((p) => p.name)))
    .replace("{sentence}", finding.sentence);
}
