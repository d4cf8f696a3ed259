// The extension's configuration: enterprise policy (storage.managed) wins over the options page.

export const DEFAULTS = {
  backendUrl: "",
  apiToken: "",
  enrollmentKey: "",
  deviceName: "",
  syncMinutes: 15,
  deferToProxy: true,
  reportEvents: true,
  enabled: true,
  user: "",
};

/** Merge managed and local settings; a managed value cannot be changed by the user. */
export function effectiveConfig(managed = {}, local = {}) {
  const config = { ...DEFAULTS };
  const locked = [];
  for (const key of Object.keys(DEFAULTS)) {
    if (managed[key] !== undefined && managed[key] !== "") {
      config[key] = managed[key];
      locked.push(key);
    } else if (local[key] !== undefined) {
      config[key] = local[key];
    }
  }
  config.backendUrl = String(config.backendUrl || "").replace(/\/+$/, "");
  config.syncMinutes = Math.min(Math.max(Number(config.syncMinutes) || 15, 1), 1440);
  config.user = String(config.user || "").trim().toLowerCase();
  config.enrollmentKey = String(config.enrollmentKey || "").trim();
  config.deviceName = String(config.deviceName || "").trim().slice(0, 100);
  for (const key of ["deferToProxy", "reportEvents", "enabled"]) config[key] = config[key] !== false;
  return { config, locked };
}

/** What is wrong with settings typed on the options page, as a sentence, or null. */
export function settingsProblem({ backendUrl = "", user = "" } = {}) {
  if (backendUrl) {
    let url = null;
    try {
      url = new URL(backendUrl);
    } catch {}
    if (!url || !["http:", "https:"].includes(url.protocol)) {
      return `Admin site URL: "${backendUrl}" is not an http(s) address (e.g. https://staffguard.usd999.org).`;
    }
    if (url.search || url.hash) return "Admin site URL: leave out the query (?…) and fragment (#…).";
  }
  if (user && !/^[^@\s]+@[^@\s]+$/.test(user)) {
    return `Your district email: "${user}" is not an email address.`;
  }
  return null;
}
