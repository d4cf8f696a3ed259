// classify() calls per second in Node on a URL mix: node bench/classify_node.mjs MIX.json POLICY.json
import { readFileSync } from "node:fs";
import { classify } from "../extension/lib/policy.js";

const urls = JSON.parse(readFileSync(process.argv[2], "utf8"));
const policy = JSON.parse(readFileSync(process.argv[3], "utf8"));
for (const url of urls.slice(0, 2000)) classify(policy, url); // warm up the JIT
let best = 0;
for (let round = 0; round < 3; round++) {
  const start = process.hrtime.bigint();
  for (const url of urls) classify(policy, url);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  best = Math.max(best, urls.length / seconds);
}
let parse = 0;
for (let round = 0; round < 3; round++) {
  const start = process.hrtime.bigint();
  for (const url of urls) { try { new URL(url); } catch {} }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  parse = Math.max(parse, urls.length / seconds);
}
console.log(JSON.stringify({ classify: Math.round(best), url_parse: Math.round(parse) }));
