// Run lib/lms.js on a batch of requests for the Python twin test
// (tests/extension/test_lms_twin.py): node lms_twin_runner.mjs POLICY.json CASES.json
import { readFileSync } from "node:fs";
import { requiredPlatforms } from "../lib/lms.js";

const policy = JSON.parse(readFileSync(process.argv[2], "utf8"));
const cases = JSON.parse(readFileSync(process.argv[3], "utf8"));
const found = cases.map((c) => {
  const finding = requiredPlatforms(policy, c.url, { method: c.method, headers: c.headers, body: c.body });
  return finding && [finding.lms, finding.kind, finding.platforms.map((p) => p.id)];
});
process.stdout.write(JSON.stringify(found));
