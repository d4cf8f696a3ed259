// The in-page notice: injected with chrome.scripting into the tab, self-contained (no imports,
// no closures), drawn in a closed shadow root so page styles neither leak in nor out.

export function showBanner(text, ref, tone, unlessProxyBanner = false, words = {}) {
  // The district proxy may already have put its own notice into this page: one is enough.
  if (unlessProxyBanner && document.querySelector("[data-staffguard]")) return false;
  const id = "staffguard-banner-host";
  document.getElementById(id)?.remove();
  const host = document.createElement("div");
  host.id = id;
  host.style.cssText = "all: initial; position: fixed; z-index: 2147483647; left: 12px; right: 12px; bottom: 12px;";
  const root = host.attachShadow({ mode: "closed" });
  const style = document.createElement("style");
  style.textContent = `
    .box { font: 14px/1.4 system-ui, sans-serif; color: #1b1f24; background: ${tone === "warn" ? "#fff4ce" : "#e7f0ff"};
           border: 1px solid #c9a800; border-radius: 8px; padding: 10px 40px 10px 14px;
           box-shadow: 0 2px 8px rgba(0,0,0,.2); max-width: 52rem; margin: 0 auto; position: relative; }
    a { color: #1d4ed8; }
    small { color: #55606e; display: block; margin-top: 2px; }
    button { position: absolute; top: 6px; right: 8px; font: inherit; border: 0; background: none; cursor: pointer; }`;
  const box = document.createElement("div");
  box.className = "box";
  box.setAttribute("role", "status");
  const strong = document.createElement("strong");
  strong.textContent = `${words.prefix || "District policy notice:"} `;
  const body = document.createElement("span");
  body.textContent = text;
  const small = document.createElement("small");
  small.textContent = ref;
  const close = document.createElement("button");
  close.textContent = "×";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => host.remove());
  box.append(strong, body);
  // Only an http(s) link (the worker builds it from the policy's permission_url).
  if (typeof words.link === "string" && /^https?:\/\//i.test(words.link)) {
    const ask = document.createElement("a");
    ask.href = words.link;
    ask.target = "_blank";
    ask.rel = "noopener";
    ask.textContent = words.linkText || "Request permission";
    box.append(" ", ask);
  }
  box.append(small, close);
  root.append(style, box);
  (document.body || document.documentElement).append(host);
  return true;
}
