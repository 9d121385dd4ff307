/**
 * Staging folders of exports (`.irctl-export-<pid>-XXXXXX`, next to the bundle being written). An export removes its
 * own on every way out it controls; a SIGKILL or a crash leaves one (tens of MB of raw evidence, mode 0700), which the
 * next export into the same folder and the start of the next writing command on the case remove.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from '../util/pid.js';

/** Prefix of staging folders; the pid of the exporting process follows. */
export const STAGING_PREFIX = '.irctl-export-';

/** Staging folder prefix for this process (pass to mkdtemp). */
export function stagingPrefix(dir: string): string {
  return join(dir, `${STAGING_PREFIX}${process.pid}-`);
}

/** A folder without a pid (made by an older irctl) is removed once it is this old. */
const UNNAMED_STALE_MS = 24 * 3600_000;

/**
 * Remove the staging folders in `dir` whose export is gone: its pid is not alive (same host: staging
 * folders sit next to a bundle being written, which is local). Returns the folders removed. Never throws: a folder that cannot be removed
 * stays for the next time.
 */
export function removeStaleStaging(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(STAGING_PREFIX));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const pid = /^(\d+)-/.exec(name.slice(STAGING_PREFIX.length))?.[1];
    if (pid === undefined ? !olderThan(path, UNNAMED_STALE_MS) : pidAlive(Number(pid))) continue;
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // left for the next time
    }
  }
  return removed;
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}
