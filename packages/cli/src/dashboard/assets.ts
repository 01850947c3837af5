/**
 * The dashboard's front end: static files shipped in the package's `ui/` directory (HTML, one
 * stylesheet, ES modules; nothing is fetched from the internet). Read once at first request and
 * kept in memory; only names in the directory are served, never a path built from the request.
 */
import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The `ui/` directory beside `dist/` (and `src/`) in the package. */
export const UI_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** One file, ready to send. */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** Loads every file of `ui/` (and its `views/` folder) into a map keyed by relative path. */
export async function loadAssets(dir = UI_DIR): Promise<ReadonlyMap<string, Asset>> {
  const assets = new Map<string, Asset>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const path = join(entry.parentPath, entry.name);
    const relative = path.slice(dir.length).split("\\").join("/").replace(/^\//, "");
    assets.set(relative, { type, body: await readFile(path) });
  }
  return assets;
}
