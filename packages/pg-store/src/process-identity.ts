/**
 * Which process a pid stands for, so a lock can tell its holder from a later process that was
 * given the same pid. On Linux the identity is the boot ID plus the process's start time in
 * clock ticks since boot (field 22 of `/proc/<pid>/stat`): a reused pid gets a new start time,
 * and a reboot a new boot ID. Where `/proc` is missing (macOS, Windows) the identity is unknown
 * and callers fall back to asking whether the pid is alive.
 */
import { readFileSync } from "node:fs";

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** `<start ticks>@<boot id>` of a live `pid`, or undefined when the system does not say. */
export function processIdentity(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  const bootId = readText("/proc/sys/kernel/random/boot_id");
  if (stat === undefined || bootId === undefined) return undefined;
  // The command name (field 2) sits in parentheses and may itself hold spaces or ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const startTicks = fields[19]; // field 22 counted from 1; the slice starts at field 3
  return startTicks && /^\d+$/.test(startTicks) ? `${startTicks}@${bootId}` : undefined;
}
