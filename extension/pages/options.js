// Options for unmanaged installs; values set by enterprise policy are shown locked.
import { effectiveConfig } from "../lib/config.js";

const fields = ["backendUrl", "apiToken", "user"];

async function load() {
  const managed = await chrome.storage.managed.get(null).catch(() => ({}));
  const { settings = {}, policy } = await chrome.storage.local.get(["settings", "policy"]);
  const { config, locked } = effectiveConfig(managed, settings);
  for (const name of fields) {
    const input = document.getElementById(name);
    input.value = name === "user" ? settings.user || "" : config[name] || "";
    input.disabled = locked.includes(name);
  }
  document.getElementById("managed-note").hidden = !locked.length;
  document.getElementById("status").textContent = policy
    ? `Policy version ${policy.version} in force.`
    : "No policy yet: nothing is warned until the extension syncs.";
}

document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { settings = {} } = await chrome.storage.local.get("settings");
  for (const name of fields) {
    const input = document.getElementById(name);
    if (!input.disabled) settings[name] = input.value.trim();
  }
  await chrome.storage.local.set({ settings });
  const { result } = await chrome.runtime.sendMessage({ type: "sync" });
  document.getElementById("status").textContent = `Sync: ${result}.`;
  await load();
});

load();
