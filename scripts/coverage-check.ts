/**
 * Fails unless the contracts' line coverage (from `hardhat test --coverage`, coverage/lcov.info)
 * reaches the floor. Test doubles and the demo token are not counted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scriptLogger } from "./lib/log.ts";
import { ROOT } from "./lib/paths.ts";

const FLOOR = 95;
const COUNTED = /^contracts\/(HuzhuPool\.sol|libraries\/|verifiers\/)/;
const log = scriptLogger("coverage");

let found = 0;
let hit = 0;
let file = "";
for (const line of readFileSync(join(ROOT, "coverage", "lcov.info"), "utf8").split("\n")) {
  if (line.startsWith("SF:")) file = line.slice(3).replace(`${ROOT}/`, "");
  if (!COUNTED.test(file)) continue;
  if (line.startsWith("LF:")) found += Number(line.slice(3));
  if (line.startsWith("LH:")) hit += Number(line.slice(3));
}
const percent = found === 0 ? 0 : (100 * hit) / found;
if (percent < FLOOR) {
  log.error(
    { percent: percent.toFixed(2), floor: FLOOR },
    "contract line coverage below the floor: add tests for the uncovered lines above",
  );
  process.exit(1);
}
log.info({ percent: percent.toFixed(2), lines: found, floor: FLOOR }, "contract line coverage");
