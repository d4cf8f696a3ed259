// Options for unmanaged installs; values set by enterprise policy are shown locked.
import { effectiveConfig, settingsProblem } from "../lib/config.js";

const fields = ["backendUrl", "enrollmentKey", "apiToken", "user"];
const SYNC_WORDS = {
  updated: "a new policy",
  unchanged: "no change",
  offline: "the admin site did not answer",
  refused: "the admin site sent something that is not a policy",
  unconfigured: "no admin site URL",
  disabled: "StaffGuard is turned off by your district",
};

async function load() {
  const managed = await chrome.storage.managed.get(null).catch(() => ({}));
  const { settings = {}, policy, device } = await chrome.storage.local.get(["settings", "policy", "device"]);
  const { config, locked } = effectiveConfig(managed, settings);
  for (const name of fields) {
    const input = document.getElementById(name);
    input.value = config[name] || "";
    input.disabled = locked.includes(name);
  }
  document.getElementById("managed-note").hidden = !locked.length;
  document.getElementById("status").textContent = policy
    ? `Policy version ${policy.version} in force.`
    : "No policy yet: nothing is warned until the extension syncs.";
  document.getElementById("device").textContent = device?.backendUrl === config.backendUrl
    ? `Enrolled for ${device.user}.`
    : config.enrollmentKey ? "Not enrolled yet." : "";
}

document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { settings = {} } = await chrome.storage.local.get("settings");
  for (const name of fields) {
    const input = document.getElementById(name);
    if (!input.disabled) settings[name] = input.value.trim();
  }
  const problem = settingsProblem(settings);
  if (problem) {
    document.getElementById("status").textContent = problem;
    return;
  }
  await chrome.storage.local.set({ settings });
  const { result } = await chrome.runtime.sendMessage({ type: "sync" });
  await load();
  document.getElementById("status").append(` Last sync: ${SYNC_WORDS[result] || result}.`);
});

load();
