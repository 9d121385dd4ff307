/**
 * Expand import paths into regular files, recursively, in a stable order. Special files and broken links are
 * reported, not followed; directory loops are cut.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, errorMessage } from '../errors.js';

/** Something found while walking that is not an importable file. */
export interface WalkSkip {
  /** Path as found. */
  path: string;
  /** Why it is skipped. */
  reason: string;
}

/** Files to import, and what was skipped. */
export interface WalkResult {
  files: string[];
  skipped: WalkSkip[];
}

/** Walk `paths` (files or directories). Hidden files (dot-files) inside directories are skipped silently. */
export async function walkInputs(paths: readonly string[]): Promise<WalkResult> {
  const files: string[] = [];
  const skipped: WalkSkip[] = [];
  const seenDirs = new Set<string>();

  async function visit(path: string, top: boolean): Promise<void> {
    let l;
    try {
      l = await lstat(path);
    } catch (err) {
      skipped.push({ path, reason: errnoCode(err) === 'ENOENT' ? 'does not exist' : `cannot be read: ${errorMessage(err)}` });
      return;
    }
    let s = l;
    if (l.isSymbolicLink()) {
      try {
        s = await stat(path);
      } catch {
        skipped.push({ path, reason: 'is a broken symbolic link (its target does not exist); restore the target or remove the link' });
        return;
      }
    }
    if (s.isDirectory()) {
      let real: string;
      try {
        real = await realpath(path);
      } catch (err) {
        skipped.push({ path, reason: `cannot be resolved: ${errorMessage(err)}` });
        return;
      }
      if (seenDirs.has(real)) {
        if (!top) skipped.push({ path, reason: 'directory already visited (symbolic link loop)' });
        return;
      }
      seenDirs.add(real);
      let names: string[];
      try {
        names = await readdir(path);
      } catch (err) {
        skipped.push({ path, reason: `directory cannot be listed: ${errorMessage(err)}` });
        return;
      }
      names.sort();
      for (const name of names) {
        if (name.startsWith('.')) continue;
        await visit(join(path, name), false);
      }
      return;
    }
    if (s.isFile()) {
      files.push(path);
      return;
    }
    const kind = s.isFIFO() ? 'a FIFO (named pipe)' : s.isSocket() ? 'a socket' : s.isCharacterDevice() || s.isBlockDevice() ? 'a device' : 'not a regular file';
    skipped.push({ path, reason: `is ${kind}; only regular files are imported (copy the data into a file to import it)` });
  }

  for (const p of paths) await visit(p, true);
  return { files, skipped };
}
