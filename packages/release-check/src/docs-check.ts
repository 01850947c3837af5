/**
 * Docs that cannot drift: every TypeScript block in the Markdown files (docs/, the READMEs) is
 * written out as a module of its own, with its hidden prelude in front, and type-checked by `tsc`
 * against the built packages as this workspace package resolves them. Errors come back pointing
 * at the Markdown file and line. Blocks marked `fragment` are counted, not compiled. It checks
 * types only; it does not run the blocks.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { extractTsBlocks } from "./markdown-blocks.js";

/** A type error, located in the Markdown file. */
export interface DocsError {
  /** The Markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line in that file. */
  readonly line: number;
  readonly message: string;
}

/** What {@link checkDocs} found. */
export interface DocsCheckResult {
  readonly checked: number;
  readonly fragments: number;
  readonly errors: readonly DocsError[];
}

interface Emitted {
  readonly file: string;
  readonly line: number;
  /** Lines of hidden prelude in front of the block's code. */
  readonly preludeLines?: number;
  /** Set for a module supplied by a `ts-module` comment. */
  readonly module?: string;
}

const COMPILER_OPTIONS = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  lib: ["ES2023"],
  types: ["node"],
  strict: true,
  skipLibCheck: true,
  noEmit: true,
};

/** The Markdown files whose blocks are checked: docs/**, the root README, the packages' and examples'. */
export function listDocFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) found.push(path);
    }
  };
  walk("docs");
  found.push("README.md");
  for (const group of ["packages", "examples"]) {
    for (const name of readdirSync(join(root, group))) {
      if (existsSync(join(root, group, name, "README.md")))
        found.push(join(group, name, "README.md"));
    }
  }
  return found.sort();
}

/**
 * Type-checks the TypeScript blocks of `files` (paths relative to `root`). `workDir` receives the
 * generated modules; it must sit where the packages resolve (inside this workspace package).
 */
export function checkDocs(options: {
  readonly root: string;
  readonly files: readonly string[];
  readonly workDir: string;
}): DocsCheckResult {
  rmSync(options.workDir, { recursive: true, force: true });
  mkdirSync(options.workDir, { recursive: true });
  const emitted = new Map<string, Emitted>();
  let fragments = 0;
  for (const file of options.files) {
    const blocks = extractTsBlocks(readFileSync(join(options.root, file), "utf8"));
    for (const block of blocks) {
      if (block.fragment) {
        fragments++;
        continue;
      }
      // Each block gets a directory: block-N/doc/snippet.ts, its modules relative to that.
      const dir = join(options.workDir, `block-${emitted.size + 1}`, "doc");
      const prelude = block.prelude === "" ? "" : `${block.prelude}\n`;
      writeModule(join(dir, "snippet.ts"), `${prelude}${block.code}\nexport {};\n`);
      for (const module of block.modules) {
        const path = resolve(dir, module.path);
        writeModule(path, module.code);
        emitted.set(relative(options.workDir, path), {
          file,
          line: block.line,
          module: module.path,
        });
      }
      emitted.set(relative(options.workDir, join(dir, "snippet.ts")), {
        file,
        line: block.line,
        preludeLines: prelude.split("\n").length - 1,
      });
    }
  }
  writeFileSync(
    join(options.workDir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: COMPILER_OPTIONS, include: ["**/*.ts"] }, null, 2),
  );
  const errors = emitted.size === 0 ? [] : runCompiler(options.workDir, emitted);
  const checked = [...emitted.values()].filter((source) => source.module === undefined).length;
  return { checked, fragments, errors };
}

function writeModule(path: string, code: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, code);
}

/** Runs tsc on `workDir` and maps each error back to its Markdown line. */
function runCompiler(workDir: string, emitted: ReadonlyMap<string, Emitted>): DocsError[] {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", ".", "--pretty", "false"], {
    cwd: workDir,
    encoding: "utf8",
  });
  if (run.error) throw run.error;
  const errors: DocsError[] = [];
  for (const line of `${run.stdout}${run.stderr}`.split("\n")) {
    const match = /^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(line.trim());
    if (!match) continue;
    const source = emitted.get(relative(workDir, resolve(workDir, match[1] ?? "")));
    if (!source) {
      errors.push({ file: match[1] ?? "?", line: Number(match[2]), message: match[4] ?? line });
      continue;
    }
    errors.push(locate(source, Number(match[2]), match[4] ?? line));
  }
  if (run.status !== 0 && errors.length === 0) {
    throw new Error(`tsc failed without a located error:\n${run.stdout}${run.stderr}`);
  }
  return errors;
}

/** `message` at `line` of a generated file, as a position in the Markdown file. */
function locate(source: Emitted, line: number, message: string): DocsError {
  if (source.module !== undefined) {
    return {
      file: source.file,
      line: source.line - 1,
      message: `in ts-module ${source.module} (its line ${line}): ${message}`,
    };
  }
  const at = line - (source.preludeLines ?? 0);
  if (at < 1)
    return { file: source.file, line: source.line - 1, message: `in the ts-prelude: ${message}` };
  return { file: source.file, line: source.line + at - 1, message };
}
