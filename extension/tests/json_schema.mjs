// A tiny JSON Schema checker for the subset the event and verdict schemas use (type, enum,
// required, properties, minLength, maxLength, format uuid/date-time), so the tests need no
// npm package. Unknown properties count as problems: the schemas list every field.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const KNOWN = new Set([
  "$schema", "title", "description", "type", "enum", "required", "properties", "minLength",
  "maxLength", "format", "readOnly",
]);

function kindOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "number" ? (Number.isInteger(value) ? "integer" : "number") : typeof value;
}

/** Every way `value` breaks `schema`, as "where: what" strings; [] when it fits. */
export function problems(value, schema, where = "$") {
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN.has(keyword)) throw new Error(`${where}: the checker does not know ${keyword}`);
  }
  const found = [];
  if (schema.type !== undefined) {
    const kinds = [schema.type].flat();
    if (!kinds.includes(kindOf(value))) return [`${where}: ${JSON.stringify(value)} is not ${kinds}`];
  }
  if (schema.enum && !schema.enum.includes(value)) found.push(`${where}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === "string") {
    if (value.length < (schema.minLength ?? 0)) found.push(`${where}: shorter than ${schema.minLength}`);
    if (value.length > (schema.maxLength ?? Infinity)) found.push(`${where}: longer than ${schema.maxLength}`);
    if (schema.format === "uuid" && !UUID.test(value)) found.push(`${where}: not a uuid`);
    if (schema.format === "date-time" && !DATE_TIME.test(value)) found.push(`${where}: not RFC 3339`);
  }
  if (kindOf(value) === "object" && schema.properties) {
    for (const key of schema.required ?? []) if (!(key in value)) found.push(`${where}.${key}: missing`);
    for (const [key, item] of Object.entries(value)) {
      const spec = schema.properties[key];
      found.push(...(spec ? problems(item, spec, `${where}.${key}`) : [`${where}.${key}: unknown`]));
    }
  }
  return found;
}
