// The extension's interstitial: the same content and choices as the proxy's page.
import { TEXTS, interstitialText } from "../lib/texts.js";

// ?tab= when the service worker opened this page; none when the browser's own rule redirected
// the navigation here (then the worker knows the tab from the message's sender).
const tabParam = new URLSearchParams(location.search).get("tab");
const tabId = tabParam === null ? undefined : Number(tabParam);
const $ = (id) => document.getElementById(id);

async function main() {
  const { pending, settings } = await chrome.runtime.sendMessage({ type: "pending", tabId });
  if (!pending) {
    $("heading").textContent = "Nothing to decide here.";
    return;
  }
  const { verdict } = pending;
  const blocked = verdict.action === "block";
  const text = interstitialText(verdict, settings, blocked);
  document.title = text.title;
  $("district").textContent = `${settings.district_name || TEXTS.district_fallback} · StaffGuard`;
  // The shared words (the proxy's page uses the same ones).
  $("site-label").textContent = TEXTS.site;
  $("category-label").textContent = TEXTS.category;
  $("permission-link").textContent = TEXTS.permission_link;
  $("policy-link").textContent = TEXTS.policy_link;
  $("justification-label").textContent = TEXTS.justification_label;
  $("back").textContent = TEXTS.go_back;
  $("continue").textContent = TEXTS.continue;
  $("heading").textContent = text.heading;
  $("reason").textContent = verdict.reason;
  $("ref").textContent = verdict.policy_ref;
  $("host").textContent = verdict.host;
  $("category").textContent = verdict.category.replace(/_/g, " ");
  if (text.permissionUrl) {
    $("permission-link").href = text.permissionUrl;
    $("permission").hidden = false;
  }
  if (settings.policy_url) {
    $("policy-link").href = settings.policy_url;
    $("policy").hidden = false;
  }
  if (blocked) {
    $("justify").hidden = true;
    $("continue").hidden = true;
  } else {
    $("remember").textContent = TEXTS.remember.replace("{minutes}", settings.continue_minutes || 60);
  }
  $("choices").hidden = false;
  const choose = async (choice) => {
    const justification = blocked ? "" : $("justification").value;
    const answer = await chrome.runtime.sendMessage({ type: "choice", tabId, choice, justification });
    if (choice === "back") {
      // Back to the page before; not history.back(), which may hold the warned page itself.
      if (answer?.from) location.replace(answer.from);
      else if (history.length > 1) history.back();
      else location.replace("about:blank");
    }
  };
  $("choices").addEventListener("submit", (event) => {
    event.preventDefault();
    choose("continue");
  });
  $("back").addEventListener("click", () => choose("back"));
  await trainingStep();
}

/** The one-time "read and acknowledge" step, when the staff member owes the yearly
 * acknowledgment (the worker asks the admin site). It sits above the choices and changes
 * none of them: it never holds up going on or going back. */
async function trainingStep() {
  const { due } = (await chrome.runtime.sendMessage({ type: "training" })) || {};
  document.body.dataset.trainingChecked = due ? "due" : "none"; // for tests: the ask is over
  if (!due) return;
  const words = TEXTS.training;
  $("training-heading").textContent = words.heading;
  $("training-text").textContent = words.text.replace("{period}", due.period);
  $("training-link").textContent = words.read;
  $("training-link").href = due.url;
  $("acknowledge").textContent = words.acknowledge;
  $("acknowledge").addEventListener("click", async () => {
    const answer = await chrome.runtime.sendMessage({ type: "acknowledge" });
    if (answer?.ok) {
      $("training").replaceChildren(Object.assign(document.createElement("p"), { textContent: words.done }));
    } else if (answer?.url) {
      window.open(answer.url, "_blank", "noopener"); // not recorded here: the page records it
    }
  });
  $("training").hidden = false;
}

main();
