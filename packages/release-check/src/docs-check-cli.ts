/** `pnpm docs-check`: type-checks every TypeScript block of the docs and READMEs; exit 1 on an error. */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { checkDocs, listDocFiles } from "./docs-check.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const workDir = fileURLToPath(new URL("../node_modules/.cache/docs-check/cli", import.meta.url));
const result = checkDocs({ root, files: listDocFiles(root), workDir });
for (const error of result.errors)
  console.error(`${join(error.file)}:${error.line}: ${error.message}`);
console.log(
  `docs-check: ${result.checked} blocks type-checked, ${result.fragments} fragments skipped, ` +
    `${result.errors.length} errors`,
);
process.exitCode = result.errors.length === 0 ? 0 : 1;
