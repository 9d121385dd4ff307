/**
 * The case: a directory holding the evidence store, keys, exports and the operator's context.yaml.
 * `--case DIR`, else `IRCTL_CASE`, else `./irctl-case` (design.md "The case").
 */
import { mkdirSync, existsSync, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { openDatabase, type Db } from '../store/db.js';
import type { Provenance } from '../store/custody.js';
import { toolVersion } from '../version.js';

/** File name of the evidence store inside a case directory. */
export const STORE_FILE = 'evidence.sqlite';

/** An open case. */
export interface CaseHandle {
  /** Absolute case directory. */
  dir: string;
  /** Evidence store path. */
  dbPath: string;
  /** Open database. */
  db: Db;
  /** Who and where, for custody entries. */
  provenance: Provenance;
  /** Directory for exported bundles and reports. */
  exportsDir: string;
  /** Directory for the case signing key pair. */
  keysDir: string;
  /** Operator context file. */
  contextPath: string;
  /** Close the database. */
  close(): void;
}

/** Resolve the case directory from the flag, the environment, or the default. */
export function resolveCaseDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env.IRCTL_CASE ?? './irctl-case');
}

/** Provenance of this process. */
export function currentProvenance(): Provenance {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return { os_user: user, host: hostname(), tool_version: toolVersion() };
}

/**
 * Open a case. With `create`, the directory and store are made when missing; otherwise a missing case is a
 * configuration error that says how to make one.
 */
export function openCase(dir: string, opts: { create?: boolean; readonly?: boolean } = {}): CaseHandle {
  const dbPath = join(dir, STORE_FILE);
  if (!existsSync(dbPath)) {
    if (opts.create !== true) {
      throw new ConfigError(`no case at ${dir} (no ${STORE_FILE} there)`, {
        hint: 'Pass --case DIR (or set IRCTL_CASE) to an existing case, or create one with `irctl import PATH` or `irctl collect aws`.',
      });
    }
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ConfigError(`case path ${dir} exists and is not a directory`);
    mkdirSync(dir, { recursive: true });
  }
  const db = openDatabase(dbPath, { create: opts.create === true, readonly: opts.readonly === true });
  return {
    dir,
    dbPath,
    db,
    provenance: currentProvenance(),
    exportsDir: join(dir, 'exports'),
    keysDir: join(dir, 'keys'),
    contextPath: join(dir, 'context.yaml'),
    close: () => db.close(),
  };
}
