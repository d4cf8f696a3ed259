// IPv4/IPv6 addresses and CIDR networks as the Python `ipaddress` module reads them (strictly:
// no leading zeros in IPv4 octets), for exemptions by network.

function parseV4(text) {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseV6(text) {
  const at = text.indexOf("%"); // a zone ("fe80::1%eth0"): accepted and ignored, as Python does
  if (at >= 0) {
    const zone = text.slice(at + 1);
    if (!zone || zone.includes("%")) return null;
    text = text.slice(0, at);
  }
  let tail = [];
  const v4 = text.match(/:(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const value = parseV4(v4[1]);
    if (value === null) return null;
    tail = [Number(value >> 16n), Number(value & 0xffffn)];
    text = text.slice(0, -v4[1].length) + (text.endsWith("::" + v4[1]) ? "" : "0");
    if (!text.endsWith("::")) text = text.slice(0, -2);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const read = (s) => (s === "" ? [] : s.split(":"));
  const head = read(halves[0]);
  const rest = halves.length === 2 ? read(halves[1]) : [];
  const groups = [...head, ...rest].map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  if (groups.some(Number.isNaN)) return null;
  const missing = 8 - groups.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...groups.slice(0, head.length), ...Array(halves.length === 2 ? missing : 0).fill(0),
    ...groups.slice(head.length), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** {version: 4|6, value: BigInt} or null. */
export function parseIp(text) {
  if (typeof text !== "string") return null;
  const v4 = parseV4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = text.includes(":") ? parseV6(text) : null;
  return v6 === null ? null : { version: 6, value: v6 };
}

/** Whether a parsed address lies in a CIDR network written as "10.77.0.0/16". */
export function ipInNetwork(address, network) {
  const [base, bitsText] = network.split("/");
  const net = parseIp(base);
  if (!net || net.version !== address.version) return false;
  const width = address.version === 4 ? 32n : 128n;
  const bits = BigInt(bitsText ?? width);
  const shift = width - bits;
  return (address.value >> shift) === (net.value >> shift);
}
