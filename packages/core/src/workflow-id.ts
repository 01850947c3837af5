/**
 * What a workflow ID may be, checked the same way wherever one comes in from outside: an engine's
 * or a client's `start`, `fork`, a child's `id`, a queue's `enqueue`. It must be non-empty, at
 * most {@link MAX_WORKFLOW_ID_LENGTH} UTF-16 code units, well-formed text (no lone surrogate,
 * which a database would store as a different, mangled ID) and free of NUL (which Postgres
 * cannot store in text). A bad ID is an `InvalidOptionError` before anything is written. IDs that
 * Cairn derives itself (`<parent>:<position>` for children) are not held to the length limit.
 */
import { InvalidOptionError } from "./errors.js";

/**
 * The longest workflow ID accepted, in UTF-16 code units (`id.length`): 512. In UTF-8 that is at
 * most 1,536 bytes, well under what a Postgres index entry holds, with room for child suffixes.
 */
export const MAX_WORKFLOW_ID_LENGTH = 512;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Any surrogate: an ID without one (nor NUL) needs no closer look — most IDs, checked cheaply. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Why `id` is not a valid workflow ID, or undefined when it is. */
function problemOf(id: unknown): string | undefined {
  if (typeof id !== "string") return `expected a string, got ${typeof id}`;
  if (id === "") return "expected a non-empty string";
  if (id.length > MAX_WORKFLOW_ID_LENGTH) {
    return `${id.length} characters is longer than the maximum of ${MAX_WORKFLOW_ID_LENGTH}`;
  }
  if (id.includes("\u0000")) return "contains a NUL character (\\u0000)";
  if (!SURROGATE.test(id)) return undefined;
  const lone = LONE_SURROGATE.exec(id);
  if (lone) {
    const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return `contains a lone UTF-16 surrogate (\\u${code}) at index ${lone.index}: not valid text`;
  }
  return undefined;
}

/**
 * Throws `InvalidOptionError` (naming `option`) unless `id` is a valid workflow ID; returns it.
 *
 * @example
 * assertWorkflowId(request.orderId); // before engine.start(checkout, input, { id })
 */
export function assertWorkflowId(id: unknown, option = "id"): string {
  const problem = problemOf(id);
  if (problem !== undefined) throw new InvalidOptionError(option, problem);
  return id as string;
}
