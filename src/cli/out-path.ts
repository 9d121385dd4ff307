import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Check an output path given with `--out` before any work: its folder must exist (a typo must not silently create a
 * tree of folders) and it must not be a folder itself. The case's own `exports/` folder is the one exception: irctl
 * makes it, as it does for the default output paths. Returns the absolute path.
 */
export function checkOutPath(file: string, caseDir: string, flag = '--out'): string {
  const abs = resolve(file);
  const parent = dirname(abs);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new UsageError(`${flag} ${file} is a folder: give a file name in it`);
  if (parent === join(resolve(caseDir), 'exports')) return abs;
  if (!existsSync(parent)) throw new UsageError(`${flag} ${file}: the folder ${parent} does not exist`, { hint: 'Create it first (irctl does not make folders for --out), or give a file in an existing folder.' });
  if (!statSync(parent).isDirectory()) throw new UsageError(`${flag} ${file}: ${parent} is not a folder`);
  return abs;
}
