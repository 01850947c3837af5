/**
 * The shape of the source tree, checked rather than hoped for: no import circle between the files
 * of a package (type-only imports count — a circle shows a seam in the wrong place even when it
 * costs nothing at run time), and packages pointing one way (`@cairn/core` depends on no other
 * Cairn package). It reads files; it builds nothing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** Each source file of a directory tree and the files of that tree it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** A test file or a type test: not part of the package's shipped source. */
const TEST_FILE = /\.test(-d)?\.ts$/;

/** The `.ts` source files under `dir` (tests left out) and their relative imports among them. */
export function importGraph(dir: string): ImportGraph {
  const files = sourceFiles(resolve(dir));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = relativeSpecifiers(readFileSync(file, "utf8"))
      .map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, ".ts")))
      .filter((target) => known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * The import circles of a graph: each group of files that reach one another (a strongly
 * connected component of more than one file, or a file importing itself), as paths relative to
 * `root`, sorted.
 */
export function importCircles(graph: ImportGraph, root: string): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string): void => {
    order.set(file, order.size);
    low.set(file, order.get(file) ?? 0);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file) ?? 0, order.get(next) ?? 0));
      }
    }
    if (low.get(file) !== order.get(file)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1 || (graph.get(file) ?? []).includes(file)) {
      circles.push(group.map((path) => relative(root, path)).sort());
    }
  };
  for (const file of graph.keys()) if (!order.has(file)) visit(file);
  return circles;
}

/** The Cairn packages (`@cairn/*`) a package's manifest depends on, dev dependencies aside. */
export function cairnDependencies(packageDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as Record<
    string,
    Record<string, string> | undefined
  >;
  const fields = ["dependencies", "peerDependencies", "optionalDependencies"] as const;
  return fields
    .flatMap((field) => Object.keys(manifest[field] ?? {}))
    .filter((name) => name.startsWith("@cairn/"));
}

/** Files under `dir` that import a Cairn package (`@cairn/...`), with the specifier. */
export function cairnImports(dir: string): { file: string; specifier: string }[] {
  return sourceFiles(resolve(dir)).flatMap((file) =>
    packageSpecifiers(readFileSync(file, "utf8"))
      .filter((specifier) => specifier.startsWith("@cairn/"))
      .map((specifier) => ({ file: relative(dir, file), specifier })),
  );
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") && !TEST_FILE.test(path) ? [path] : [];
  });
}

/**
 * Every module specifier of `import … from`, `export … from` and `import("…")`, comments left
 * out (a doc comment's example imports nothing).
 */
function specifiers(withComments: string): string[] {
  const source = withComments.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  for (const match of source.matchAll(
    /(?:^|[\s;])(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/g,
  )) {
    if (match[1] !== undefined) found.push(match[1]);
  }
  for (const match of source.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) {
    if (match[1] !== undefined) found.push(match[1]);
  }
  return found;
}

function relativeSpecifiers(source: string): string[] {
  return specifiers(source).filter((specifier) => specifier.startsWith("."));
}

function packageSpecifiers(source: string): string[] {
  return specifiers(source).filter((specifier) => !specifier.startsWith("."));
}
