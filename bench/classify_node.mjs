// classify() calls per second in Node on a URL mix, beside `new URL()` alone on the same URLs:
// node bench/classify_node.mjs MIX.json POLICY.json
// Rounds alternate between the two (a busy machine slows both alike); best of each is kept,
// and the ratio is the median of the per-round ratios.
import { readFileSync } from "node:fs";
import { classify } from "../extension/lib/policy.js";

const urls = JSON.parse(readFileSync(process.argv[2], "utf8"));
const policy = JSON.parse(readFileSync(process.argv[3], "utf8"));
const rounds = Number(process.argv[4] || 7);

function rate(fn) {
  const start = process.hrtime.bigint();
  for (const url of urls) fn(url);
  return urls.length / (Number(process.hrtime.bigint() - start) / 1e9);
}
const decide = (url) => classify(policy, url);
const parse = (url) => { try { new URL(url); } catch {} };
for (const url of urls.slice(0, 5000)) { decide(url); parse(url); } // warm up the JIT
let best = 0, bestParse = 0;
const ratios = [];
for (let round = 0; round < rounds; round++) {
  let classified, parsed;
  if (round % 2) {
    classified = rate(decide);
    parsed = rate(parse);
  } else {
    parsed = rate(parse);
    classified = rate(decide);
  }
  best = Math.max(best, classified);
  bestParse = Math.max(bestParse, parsed);
  ratios.push(parsed / classified);
}
ratios.sort((x, y) => x - y);
console.log(JSON.stringify({
  classify: Math.round(best), url_parse: Math.round(bestParse),
  ratio_median: Number(ratios[Math.floor(ratios.length / 2)].toFixed(2)),
  ratio_min: Number(ratios[0].toFixed(2)), ratio_max: Number(ratios.at(-1).toFixed(2)),
}));
