/**
 * Files that hold evidence (the case store and its -wal/-shm, bundles, reports) are 0600 whatever the umask: raw
 * records carry credentials verbatim. See docs/architecture.md "Modes".
 */
import { chmodSync, statSync, writeFileSync } from 'node:fs';

/** Mode of evidence files. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Set a file (or folder) to `mode` unless it already is: the umask filters the mode given at creation, and a file
 * made by an older irctl has its own. Never throws: a missing file (no -wal yet), one that is not ours, or a file
 * system without Unix modes (FAT) is left as is.
 */
export function keepPrivate(path: string, mode = PRIVATE_FILE_MODE): void {
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  } catch {
    // nothing to do
  }
}

/** Write a whole file with mode 0600 (also when it replaces an existing file). */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data, { mode: PRIVATE_FILE_MODE });
  keepPrivate(path);
}
