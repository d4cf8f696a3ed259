// A 64 KiB host ending in a listed domain, in the extension's engine: classify() now (its
// last 253 characters are looked up, dnsTail) beside the uncut walk of every parent name:
// node bench/long_host_node.mjs
import { readFileSync } from "node:fs";
import { classify } from "../extension/lib/policy.js";

const root = new URL("..", import.meta.url);
const policy = JSON.parse(readFileSync(new URL("tests/vectors/compiled/defaults.json", root), "utf8"));
const host = "a1b2c3d4.".repeat(Math.floor((64 * 1024) / 9)) + "tiktok.com";
const url = `https://${host}/@lincolnhigh`;
const domains = new Map(policy.platforms.flatMap((p) => p.domains.map((d) => [d, p.id])));

function uncutWalk() {
  let name = host;
  while (!domains.has(name) && name.includes(".")) name = name.slice(name.indexOf(".") + 1);
  return domains.get(name);
}

function best(fn) {
  let fastest = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    fn();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return fastest.toFixed(2);
}
classify(policy, "https://example.org/"); // compile the policy first
console.log(`64 KiB host ending in tiktok.com, classify, now: ${best(() => classify(policy, url))} ms`);
console.log(`64 KiB host ending in tiktok.com, uncut walk: ${best(uncutWalk)} ms`);
console.log(`  verdict: ${classify(policy, url).action}, uncut walk finds ${uncutWalk()}`);
