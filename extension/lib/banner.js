// The in-page notice: injected with chrome.scripting into the tab, self-contained (no imports,
// no closures), drawn in a closed shadow root so page styles neither leak in nor out.
// Placement, words and styles are the proxy's (staff_texts.js "banner", from
// proxy_addons/templates/staff.json): the same bar fixed to the bottom of the window, with
// Dismiss, whichever path shows it.

export function showBanner(text, ref, unlessProxyBanner = false, words = {}) {
  // The district proxy may already have put its own notice into this page: one is enough.
  if (unlessProxyBanner && document.querySelector("[data-staffguard]")) return false;
  const look = words.look || {};
  const id = "staffguard-banner-host";
  document.getElementById(id)?.remove();
  const host = document.createElement("div");
  host.id = id;
  host.style.cssText = look.host_style || "position: fixed; z-index: 2147483647; left: 12px; right: 12px; bottom: 12px;";
  const root = host.attachShadow({ mode: "closed" });
  const part = (tag, style, content) => {
    const element = document.createElement(tag);
    element.style.cssText = style || "";
    if (content !== undefined) element.textContent = content;
    return element;
  };
  const box = part("div", look.box_style);
  box.setAttribute("role", "status");
  box.setAttribute("aria-label", words.prefix || "District policy notice:");
  box.append(
    part("strong", look.prefix_style, words.prefix || "District policy notice:"),
    " ",
    part("span", look.text_style, text),
  );
  // Only an http(s) link (the worker builds it from the policy's permission_url).
  if (typeof words.link === "string" && /^https?:\/\//i.test(words.link)) {
    const ask = part("a", look.link_style, words.linkText || "Request permission");
    ask.href = words.link;
    ask.target = "_blank";
    ask.rel = "noopener";
    box.append(" ", ask);
  }
  const close = part("button", look.dismiss_style, look.dismiss_symbol || "×");
  close.setAttribute("aria-label", words.dismiss || "Dismiss");
  close.title = words.dismiss || "Dismiss";
  close.addEventListener("click", () => host.remove());
  box.append(part("small", look.ref_style, ref), close);
  root.append(box);
  (document.body || document.documentElement).append(host);
  return true;
}
