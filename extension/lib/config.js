// The extension's configuration: enterprise policy (storage.managed) wins over the options page.

export const DEFAULTS = {
  backendUrl: "",
  apiToken: "",
  syncMinutes: 15,
  deferToProxy: true,
  reportEvents: true,
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
  return { config, locked };
}
