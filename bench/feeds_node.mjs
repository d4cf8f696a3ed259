// The extension with a category feed: time to parse the compiled document and build the feed
// index, the heap it takes, and classify() calls per second on the mix.
//   node bench/feeds_node.mjs POLICY.json MIX.json
import { readFileSync } from "node:fs";
import { classify } from "../extension/lib/policy.js";

const text = readFileSync(process.argv[2], "utf8");
const urls = JSON.parse(readFileSync(process.argv[3], "utf8"));
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let start = process.hrtime.bigint();
const policy = JSON.parse(text);
const parseMs = Number(process.hrtime.bigint() - start) / 1e6;
start = process.hrtime.bigint();
const first = classify(policy, "https://site7.feed-7.example/"); // builds the indexes
const indexMs = Number(process.hrtime.bigint() - start) / 1e6;
if (first.feed !== "synthetic feed") throw new Error("the feed did not classify its site");
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

function best(fn) {
  let rate = 0;
  for (let round = 0; round < 3; round++) {
    const t = process.hrtime.bigint();
    for (const url of urls) fn(url);
    rate = Math.max(rate, urls.length / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  return Math.round(rate);
}
for (const url of urls.slice(0, 2000)) classify(policy, url);
const rate = best((url) => classify(policy, url));
const parse = best((url) => { try { new URL(url); } catch {} });
console.log(JSON.stringify({
  parse_ms: parseMs, index_ms: indexMs, heap_mb: heapMb, classify: rate, url_parse: parse,
}));
