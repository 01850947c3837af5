/** `pnpm pack-check`: packs every public package and tries it as a user would; exit 1 on a problem. */
import { fileURLToPath } from "node:url";
import { packCheck } from "./pack-check.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const result = packCheck({ root, log: (line) => console.log(`pack-check: ${line}`) });
for (const problem of result.problems) console.error(`pack-check: ${problem}`);
console.log(
  `pack-check: ${result.packages.join(", ")}: ${result.problems.length} problems (scratch: ${result.scratch})`,
);
process.exitCode = result.problems.length === 0 ? 0 : 1;
