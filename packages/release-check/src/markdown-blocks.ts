/**
 * Finds the TypeScript blocks in a Markdown file: every fence whose info string starts with `ts`
 * or `typescript`. A block is checked unless its info string says `fragment` (a signature sketch
 * or a piece of a larger program, shown for reading only). A checked block may be preceded by a
 * hidden prelude, an HTML comment `<!-- ts-prelude ... -->`, whose code is compiled in front of
 * that one block: the declarations a snippet assumes (`declare const engine: Engine;`) stay out
 * of the rendered page but are still type-checked. Likewise `<!-- ts-module ./workflows.ts ... -->`
 * supplies a module the next block imports (`import type { approval } from "./workflows.js"`),
 * at that path relative to the block. It parses fences and comments only; it compiles nothing.
 */

/** One TypeScript block of a Markdown file. */
export interface TsBlock {
  /** 1-based line of the block's first code line in the Markdown file. */
  readonly line: number;
  /** The block's code. */
  readonly code: string;
  /** Code compiled in front of the block (from a `<!-- ts-prelude -->` comment), or "". */
  readonly prelude: string;
  /** Modules the block imports (from `<!-- ts-module <path> -->` comments), path relative to it. */
  readonly modules: readonly { readonly path: string; readonly code: string }[];
  /** True when the info string says `fragment`: the block is not compiled. */
  readonly fragment: boolean;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`]*)$/;
const HIDDEN_OPEN = /^\s*<!--\s*ts-(prelude|module)\b(.*)$/;

/** The TypeScript blocks of `markdown`, in order. */
export function extractTsBlocks(markdown: string): TsBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: TsBlock[] = [];
  let prelude = "";
  let modules: { path: string; code: string }[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const hidden = HIDDEN_OPEN.exec(line);
    if (hidden) {
      const end = findLine(lines, index, (text) => text.includes("-->"));
      const body = collectHidden(lines, index, end, hidden[2] ?? "");
      if (hidden[1] === "prelude") prelude = body;
      else modules.push(splitModule(body, index + 1));
      index = end;
      continue;
    }
    const fence = FENCE.exec(line);
    if (!fence) {
      if (line.trim() !== "") [prelude, modules] = ["", []]; // they belong to the very next block
      continue;
    }
    const marker = fence[2] ?? "```";
    const end = findLine(lines, index, (text) => text.trim().startsWith(marker));
    const words = (fence[3] ?? "")
      .trim()
      .split(/[\s,{}]+/)
      .filter(Boolean);
    if (words[0] === "ts" || words[0] === "typescript") {
      blocks.push({
        line: index + 2,
        code: lines.slice(index + 1, end).join("\n"),
        prelude,
        modules,
        fragment: words.includes("fragment"),
      });
    }
    [prelude, modules] = ["", []];
    index = end;
  }
  return blocks;
}

/** The first line after `from` that satisfies `test`; throws when the construct never closes. */
function findLine(lines: readonly string[], from: number, test: (line: string) => boolean): number {
  for (let index = from + 1; index < lines.length; index++) {
    if (test(lines[index] ?? "")) return index;
  }
  if (test(lines[from] ?? "")) return from;
  throw new Error(`line ${from + 1}: a fence or ts-prelude comment that is never closed`);
}

/** A hidden comment's text: whatever follows `ts-prelude`/`ts-module` up to `-->`. */
function collectHidden(lines: readonly string[], start: number, end: number, rest: string): string {
  if (start === end) return rest.slice(0, rest.indexOf("-->")).trim();
  const body = [rest, ...lines.slice(start + 1, end)];
  const last = lines[end] ?? "";
  body.push(last.slice(0, last.indexOf("-->")));
  return body.join("\n").trim();
}

/** `<path>` on the comment's first line, then the module's code. */
function splitModule(body: string, line: number): { path: string; code: string } {
  const [first = "", ...rest] = body.split("\n");
  const path = first.trim();
  if (!/^\.{1,2}\/[\w./-]+\.ts$/.test(path)) {
    throw new Error(`line ${line}: ts-module needs a relative .ts path first, got "${path}"`);
  }
  return { path, code: rest.join("\n") };
}
