/**
 * `ctx.patched` and `ctx.deprecatePatch`: how a workflow changes its code while older runs are
 * still replaying. A patched run records a `cairn.patch:<name>` marker where the new code path
 * starts; a replay of a history recorded before the patch finds something else there, so the old
 * path runs and nothing is consumed.
 */
import type { Journal } from "./journal.js";

/**
 * `ctx.patched(name)`: true on runs that reach this point with the patched code (a marker is
 * recorded), false when replaying a history recorded before the patch existed (something else
 * is recorded here; nothing is consumed, so the old code path replays).
 */
export async function patched(journal: Journal, name: string): Promise<boolean> {
  const marker = `cairn.patch:${name}`;
  const recorded = journal.nextRecordedName;
  if (recorded !== undefined && recorded !== marker) return false;
  return journal.internal(marker, () => true);
}

/** `ctx.deprecatePatch(name)`: after every old run drained, keeps replays of patched runs valid. */
export async function deprecatePatch(journal: Journal, name: string): Promise<true> {
  if (journal.nextRecordedName === `cairn.patch:${name}`) await patched(journal, name);
  return true;
}
