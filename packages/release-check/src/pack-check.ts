/**
 * The pack check: what a user gets from npm, tried before a user does. Every public package is
 * packed with `pnpm pack`; each tarball must hold its README, LICENSE and every file its
 * `exports` map names, and no tests. Then a scratch project outside the workspace installs the
 * tarballs with npm (third-party dependencies come from the registry), type-checks a program that
 * imports every exported subpath, compiles the smoke program and runs it on PGlite. A broken
 * exports map, a missing file or a `workspace:` range left in a manifest fails here, not for a
 * user. It changes nothing in the workspace.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  listPublicPackages,
  metadataProblems,
  rootRepositoryUrl,
  type PublicPackage,
} from "./public-packages.js";

/** Options of {@link packCheck}. */
export interface PackCheckOptions {
  /** The repository root. */
  readonly root: string;
  /** Where progress lines go. Default: nowhere. */
  readonly log?: (line: string) => void;
}

/** What {@link packCheck} found; `problems` is empty when every package is ready. */
export interface PackCheckResult {
  readonly packages: readonly string[];
  readonly problems: readonly string[];
  /** The scratch directory under the OS temp directory: removed on success, kept for a look otherwise. */
  readonly scratch: string;
}

/**
 * Versions the scratch project adds beside the tarballs, as a user's project would. zod 3 on
 * purpose: the workspace's own tests use zod 4, so both majors are proven to type-check and run.
 */
const SCRATCH_DEPENDENCIES = { zod: "^3.24.0", vitest: "4.1.12", "@types/node": "20.19.43" };
const SMOKE = fileURLToPath(new URL("../fixtures/pack-smoke/smoke.ts", import.meta.url));

/** Packs, installs and smoke-tests every public package. */
export function packCheck(options: PackCheckOptions): PackCheckResult {
  const log = options.log ?? (() => undefined);
  const packages = listPublicPackages(options.root);
  const repositoryUrl = rootRepositoryUrl(options.root);
  const problems = packages.flatMap((pkg) =>
    metadataProblems(options.root, pkg.dir, repositoryUrl),
  );
  const scratch = mkdtempSync(join(tmpdir(), "cairn-pack-check-"));
  const leak = nodeModulesAbove(scratch);
  if (leak) problems.push(`${leak} exists: the scratch project would resolve packages from it`);
  const tarballs = new Map<string, string>();
  for (const pkg of packages) {
    log(`packing ${pkg.name}`);
    const tarball = pack(options.root, pkg, join(scratch, "tarballs"));
    tarballs.set(pkg.name, tarball);
    problems.push(...tarballProblems(pkg, tarball));
  }
  if (problems.length > 0) return { packages: packages.map((pkg) => pkg.name), problems, scratch };
  const project = join(scratch, "project");
  writeProject(project, packages, tarballs);
  log(`installing ${tarballs.size} tarballs with npm in ${project}`);
  problems.push(...install(project));
  if (problems.length === 0) problems.push(...compile(project));
  if (problems.length === 0) problems.push(...runSmoke(project, log));
  if (problems.length === 0) rmSync(scratch, { recursive: true, force: true });
  return { packages: packages.map((pkg) => pkg.name), problems, scratch };
}

/** A `node_modules` directory in an ancestor of `dir`, which Node would resolve from. */
function nodeModulesAbove(dir: string): string | undefined {
  for (let at = dirname(dir); ; at = dirname(at)) {
    if (existsSync(join(at, "node_modules"))) return join(at, "node_modules");
    if (dirname(at) === at) return undefined;
  }
}

/** `pnpm pack` of one package into `destination`; returns the tarball's path. */
function pack(root: string, pkg: PublicPackage, destination: string): string {
  mkdirSync(destination, { recursive: true });
  execFileSync("pnpm", ["pack", "--pack-destination", destination], {
    cwd: join(root, pkg.dir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const file = `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.version}.tgz`;
  const path = join(destination, file);
  if (!existsSync(path)) throw new Error(`pnpm pack of ${pkg.name} did not write ${file}`);
  return path;
}

/** What is missing from, or should not be in, a tarball. */
function tarballProblems(pkg: PublicPackage, tarball: string): string[] {
  const files = new Set(
    execFileSync("tar", ["tzf", tarball], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((line) => line.replace(/^package\//, "")),
  );
  const problems: string[] = [];
  for (const required of ["package.json", "README.md", "LICENSE", ...pkg.exportedFiles]) {
    const path = required.replace(/^\.\//, "");
    if (!files.has(path)) problems.push(`${pkg.name}: the tarball lacks ${path}`);
  }
  for (const file of files) {
    if (/\.test(-d)?\.[cm]?[jt]s$|\.tsbuildinfo$/.test(file)) {
      problems.push(`${pkg.name}: the tarball ships ${file}`);
    }
  }
  const manifest = execFileSync("tar", ["xzOf", tarball, "package/package.json"], {
    encoding: "utf8",
  });
  if (manifest.includes("workspace:"))
    problems.push(`${pkg.name}: a workspace: range is left in package.json`);
  return problems;
}

/** The scratch project: the tarballs as dependencies, pinned over any registry copy. */
function writeProject(
  project: string,
  packages: readonly PublicPackage[],
  tarballs: ReadonlyMap<string, string>,
): void {
  mkdirSync(join(project, "src"), { recursive: true });
  const fromTarballs = Object.fromEntries(
    [...tarballs].map(([name, path]) => [name, `file:${path}`]),
  );
  const manifest = {
    name: "cairn-pack-check-project",
    private: true,
    type: "module",
    dependencies: { ...fromTarballs, ...SCRATCH_DEPENDENCIES },
    // The tarballs depend on each other by version: never let npm look those up in the registry.
    overrides: Object.fromEntries([...tarballs.keys()].map((name) => [name, `$${name}`])),
  };
  writeFileSync(join(project, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(SCRATCH_TSCONFIG, null, 2));
  copyFileSync(SMOKE, join(project, "src", "smoke.ts"));
  writeFileSync(join(project, "src", "exports.ts"), exportsProgram(packages));
}

const SCRATCH_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    lib: ["ES2023"],
    types: ["node"],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    rootDir: "src",
    outDir: "out",
  },
  include: ["src"],
};

/** A program importing every exported subpath, failing when one exports nothing. */
function exportsProgram(packages: readonly PublicPackage[]): string {
  const specifiers = packages.flatMap((pkg) =>
    pkg.subpaths.map((subpath) => (subpath === "." ? pkg.name : `${pkg.name}${subpath.slice(1)}`)),
  );
  const imports = specifiers.map(
    (specifier, index) => `import * as m${index} from "${specifier}";`,
  );
  const entries = specifiers.map((specifier, index) => `  ["${specifier}", m${index}],`);
  return [
    "// Generated by the pack check: every subpath of every exports map, types and runtime.",
    ...imports,
    "const modules: [string, object][] = [",
    ...entries,
    "];",
    "for (const [specifier, module] of modules) {",
    "  if (Object.keys(module).length === 0) throw new Error(`${specifier} exports nothing`);",
    "}",
    "console.log(`exports ok (${modules.length} subpaths)`);",
    "",
  ].join("\n");
}

/** `npm install` in the scratch project: problems, or none. */
function install(project: string): string[] {
  const run = spawnSync(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
    { cwd: project, encoding: "utf8", timeout: 480_000 },
  );
  if (run.status === 0) return [];
  return [`npm install failed (${run.status ?? run.signal}): ${run.stderr || run.stdout}`];
}

/** Type-checks and compiles the scratch project with the workspace's TypeScript. */
function compile(project: string): string[] {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", ".", "--pretty", "false"], {
    cwd: project,
    encoding: "utf8",
  });
  if (run.status === 0) return [];
  return [
    `the scratch project does not type-check against the tarballs:\n${run.stdout}${run.stderr}`,
  ];
}

/** Runs the exports program and the smoke program. */
function runSmoke(project: string, log: (line: string) => void): string[] {
  const problems: string[] = [];
  for (const [program, expected] of [
    ["out/exports.js", /^exports ok/m],
    ["out/smoke.js", /^smoke ok/m],
  ] as const) {
    log(`running ${program}`);
    const run = spawnSync(process.execPath, [resolve(project, program)], {
      cwd: project,
      encoding: "utf8",
      timeout: 180_000,
    });
    if (run.status !== 0 || !expected.test(run.stdout)) {
      problems.push(`${program} failed (${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`);
    } else {
      log(run.stdout.trim());
    }
  }
  return problems;
}
