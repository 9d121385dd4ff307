/**
 * The case: a directory holding the evidence store, keys, exports and the operator's context.yaml.
 * `--case DIR`, else `IRCTL_CASE`, else `./irctl-case` (design.md "The case").
 */
import { accessSync, closeSync, constants, mkdirSync, existsSync, openSync, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, caseWriteError, errnoCode } from '../errors.js';
import { openDatabase, type Db } from '../store/db.js';
import type { Provenance } from '../store/custody.js';
import { PRIVATE_FILE_MODE, keepPrivate } from '../util/private-file.js';
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

/** Mode of a case directory irctl creates (whatever the umask). */
export const CASE_DIR_MODE = 0o700;

/**
 * Make sure a case is there for a writing command, before its lock is taken: with `create`, a missing case directory
 * is made (mode 0700); otherwise a missing store is a configuration error that says how to make one. A case on
 * read-only media (read-only mount, `chattr +i`) is a configuration error (exit 3); a case this user may not write is
 * a local storage error (exit 8).
 */
export function prepareCaseDir(dir: string, opts: { create?: boolean } = {}): void {
  const dbPath = join(dir, STORE_FILE);
  if (!existsSync(dbPath)) {
    if (opts.create !== true) throw noCase(dir);
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ConfigError(`case path ${dir} exists and is not a directory`);
    if (!existsSync(dir)) {
      try {
        mkdirSync(dir, { recursive: true, mode: CASE_DIR_MODE });
      } catch (err) {
        throw caseWriteError(err, dir);
      }
      // mode is filtered by the umask; a folder irctl did not make is never changed.
      keepPrivate(dir, CASE_DIR_MODE);
    }
  }
  for (const p of [dir, dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw caseWriteError(err, p);
    }
  }
}

function noCase(dir: string): ConfigError {
  return new ConfigError(`no case at ${dir} (no ${STORE_FILE} there)`, {
    hint: 'Pass --case DIR (or set IRCTL_CASE) to an existing case, or create one with `irctl import PATH`, `irctl collect aws` or `irctl case init`.',
  });
}

/**
 * Open a case. Writing (the default): with `create`, the directory and store are made when missing; the store and
 * its side files are kept at mode 0600. `readonly`: the store is opened for reading only (also on read-only media,
 * see store/db.ts); nothing in the case is created or changed. A missing case is a configuration error that says how
 * to make one.
 */
export function openCase(dir: string, opts: { create?: boolean; readonly?: boolean } = {}): CaseHandle {
  const dbPath = join(dir, STORE_FILE);
  const readonly = opts.readonly === true;
  if (readonly && !existsSync(dbPath)) throw noCase(dir);
  if (!readonly) {
    prepareCaseDir(dir, opts);
    if (!existsSync(dbPath)) {
      // Made here, 0600, so that SQLite (which gives -wal and -shm the store's mode) never creates it from the umask.
      try {
        closeSync(openSync(dbPath, 'wx', PRIVATE_FILE_MODE));
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw caseWriteError(err, dbPath);
      }
      keepPrivate(dbPath);
    }
  }
  const db = openDatabase(dbPath, { create: opts.create === true, readonly });
  if (!readonly) for (const p of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) keepPrivate(p);
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
