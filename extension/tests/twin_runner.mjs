// Classify a batch of requests with policy.js for the Python twin test
// (tests/extension/test_policy_twin.py): node twin_runner.mjs POLICY.json CASES.json
import { readFileSync } from "node:fs";
import { classify } from "../lib/policy.js";

const policy = JSON.parse(readFileSync(process.argv[2], "utf8"));
const cases = JSON.parse(readFileSync(process.argv[3], "utf8"));
const body = (b) => (b && typeof b === "object" ? Uint8Array.from(Buffer.from(b.hex.replace(/ /g, ""), "hex")) : b);
const verdicts = cases.map((c) =>
  classify(policy, c.url, {
    method: c.method, user: c.user, clientIp: c.client_ip, headers: c.headers,
    body: body(c.body ?? null), websocket: c.websocket ?? false,
  }),
);
process.stdout.write(JSON.stringify(verdicts));
