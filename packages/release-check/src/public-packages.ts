/**
 * The workspace's public packages (every `packages/*` without `"private": true`) and the metadata
 * each must carry to be published: README, license, repository (this repo, its own directory),
 * homepage, keywords, an `exports` map and a `files` list. It reads package.json files; it packs
 * nothing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A public package of the workspace. */
export interface PublicPackage {
  /** Its directory, relative to the repository root: `packages/core`. */
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  /** The `exports` map's subpaths other than `./package.json`: `.`, `./testing`, ... */
  readonly subpaths: readonly string[];
  /** Files the `exports` map points at (`./dist/index.js`, `./dist/index.d.ts`, ...). */
  readonly exportedFiles: readonly string[];
}

type Manifest = Record<string, unknown> & {
  name?: string;
  version?: string;
  private?: boolean;
  exports?: Record<string, unknown>;
};

/** The public packages under `<root>/packages`, sorted by directory. */
export function listPublicPackages(root: string): PublicPackage[] {
  const found: PublicPackage[] = [];
  for (const entry of readdirSync(join(root, "packages")).sort()) {
    const path = join(root, "packages", entry, "package.json");
    if (!existsSync(path)) continue;
    const manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
    if (manifest.private === true) continue;
    const exportsMap = manifest.exports ?? {};
    const subpaths = Object.keys(exportsMap).filter((key) => key !== "./package.json");
    found.push({
      dir: `packages/${entry}`,
      name: manifest.name ?? entry,
      version: manifest.version ?? "",
      subpaths,
      exportedFiles: subpaths.flatMap((key) => targets(exportsMap[key])),
    });
  }
  return found;
}

/** Every file path an `exports` entry can resolve to. */
function targets(entry: unknown): string[] {
  if (typeof entry === "string") return [entry];
  if (entry === null || typeof entry !== "object") return [];
  return Object.values(entry).flatMap(targets);
}

/**
 * What is missing or wrong in the package's metadata, one line each (empty when it is ready).
 * `repositoryUrl` is the root package.json's: every package must name the same repository.
 */
export function metadataProblems(root: string, dir: string, repositoryUrl: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as Manifest;
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(`${dir}: ${what}`);
  };
  const text = (key: string) => typeof manifest[key] === "string" && manifest[key] !== "";
  const repository = manifest["repository"] as { url?: string; directory?: string } | undefined;
  need(existsSync(join(root, dir, "README.md")), "no README.md");
  need(text("description"), "no description");
  need(manifest["license"] === "Apache-2.0", "license is not Apache-2.0");
  need(repository?.url === repositoryUrl, `repository.url is not the root's ${repositoryUrl}`);
  need(repository?.directory === dir, `repository.directory is not "${dir}"`);
  need(text("homepage"), "no homepage");
  need(Array.isArray(manifest["keywords"]) && manifest["keywords"].length > 0, "no keywords");
  need(Array.isArray(manifest["files"]), "no files list");
  need(manifest.exports !== undefined, "no exports map");
  need(manifest["type"] === "module", 'type is not "module"');
  need(typeof manifest["engines"] === "object", "no engines.node");
  return problems;
}

/** The root package.json's repository URL. */
export function rootRepositoryUrl(root: string): string {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
  const url = (manifest["repository"] as { url?: string } | undefined)?.url;
  if (!url) throw new Error("the root package.json has no repository.url");
  return url;
}
