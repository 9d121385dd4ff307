/**
 * The case database: opening, pragmas and migrations. This folder (src/store) is the only place that imports SQLite.
 */
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, IntegrityError, errnoCode, errorMessage, localStorageError } from '../errors.js';
import { migrations } from './migrations/index.js';

// better-sqlite3 reads SQLITE_USE_URI once, when its native addon loads (at the first `new Database`, which only this
// module makes). URIs are needed for `immutable=1` (see openReadOnly); case paths are absolute, so no path is taken
// for a URI by mistake. An explicit SQLITE_USE_URI in the environment is left as it is.
process.env.SQLITE_USE_URI ??= '1';

/** A better-sqlite3 connection. */
export type Db = Database.Database;

/** Open (and create or migrate) the case database; `readonly` opens it for reading only, also on read-only media. */
export function openDatabase(file: string, opts: { readonly?: boolean; create?: boolean } = {}): Db {
  if (opts.readonly === true) return openReadOnly(file);
  let db: Db;
  try {
    db = new Database(file, { fileMustExist: opts.create !== true });
  } catch (err) {
    throw new ConfigError(`cannot open the evidence store ${file}: ${errorMessage(err)}`, {
      hint: 'Check the --case directory (or IRCTL_CASE); `irctl import` or `irctl collect` creates a case.',
      cause: err,
    });
  }
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    migrate(db);
  } catch (err) {
    db.close();
    throw notAStore(file, err);
  }
  return db;
}

function notAStore(file: string, err: unknown): unknown {
  if (err instanceof Error && /file is not a database|malformed/i.test(err.message)) {
    return new IntegrityError(`${file} is not a readable SQLite evidence store: ${err.message}`, { cause: err });
  }
  return err;
}

/**
 * Open for reading only. A WAL-mode store (every case) needs its `-wal` and `-shm` files: SQLite makes them beside
 * the store when they are missing, which fails on read-only media (a write-blocked forensic copy, a read-only mount,
 * `chattr +i`). Then, in order:
 *
 * 1. no `-wal` content (a case closed cleanly: the last writer checkpointed everything into the store): open with
 *    SQLite's `immutable=1`, which reads the file as it is and makes no side files. Safe because there is nothing
 *    in a WAL to miss; never used when a `-wal` holds frames, since immutable mode ignores them.
 * 2. a `-wal` with content but no usable `-shm` (a copy taken while a writer ran, or after a crash): copy the store
 *    and its `-wal` into a private temporary folder (0700) and read the copy, which SQLite recovers like any crashed
 *    WAL. Costs the temporary space of the store; the copy is removed on close.
 *
 * Leaving each store in rollback-journal mode after every writing run was the alternative; it fails whenever a
 * reader is connected at the end of a run, and does nothing for copies taken mid-run, which (2) covers.
 */
function openReadOnly(file: string): Db {
  let first: unknown;
  try {
    return probe(new Database(file, { readonly: true, fileMustExist: true }));
  } catch (err) {
    if (!cannotOpenReadOnly(err)) throw openError(file, err);
    first = err;
  }
  if (!walHasFrames(file)) {
    try {
      // URI path: '%', '?' and '#' would be taken as escapes, query and fragment.
      const uri = `file:${file.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?immutable=1`;
      return probe(new Database(uri, { readonly: true, fileMustExist: true }));
    } catch {
      // URIs disabled (better-sqlite3 was loaded before this module) or another failure: read a copy instead.
    }
  }
  try {
    return privateCopy(file);
  } catch (err) {
    throw localStorageError(err, tmpdir()) ?? openError(file, first);
  }
}

/** Read a private copy of the store and its WAL (removed on close, and at exit if the process ends first). */
function privateCopy(file: string): Db {
  const dir = mkdtempSync(join(tmpdir(), 'irctl-readonly-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  try {
    const copy = join(dir, basename(file));
    for (const suffix of ['', '-wal']) {
      if (suffix !== '' && !existsSync(`${file}${suffix}`)) continue;
      copyFileSync(`${file}${suffix}`, `${copy}${suffix}`);
      chmodSync(`${copy}${suffix}`, 0o600);
    }
    // Read-write on the copy, so that SQLite can recover its WAL; query_only keeps this connection from writing.
    const db = probe(new Database(copy, { fileMustExist: true }));
    db.pragma('query_only = 1');
    const close = db.close.bind(db);
    db.close = () => {
      try {
        return close();
      } finally {
        cleanup();
        process.off('exit', cleanup);
      }
    };
    return db;
  } catch (err) {
    cleanup();
    process.off('exit', cleanup);
    throw err;
  }
}

/** Make SQLite open the file and read the schema now (it opens lazily), closing the connection on failure. */
function probe(db: Db): Db {
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('foreign_keys = OFF');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** SQLite's answers when a read-only connection cannot make or lock the WAL side files. */
function cannotOpenReadOnly(err: unknown): boolean {
  const code = errnoCode(err) ?? '';
  return /^SQLITE_(CANTOPEN|READONLY|IOERR)/.test(code);
}

function walHasFrames(file: string): boolean {
  try {
    return statSync(`${file}-wal`).size > 0;
  } catch {
    return false;
  }
}

function openError(file: string, err: unknown): unknown {
  if (errnoCode(err) === undefined || !String(errnoCode(err)).startsWith('SQLITE_CANTOPEN')) return notAStore(file, err);
  return new ConfigError(`cannot open the evidence store ${file}: ${errorMessage(err)}`, {
    hint: 'Check the --case directory (or IRCTL_CASE) and that this user may read it.',
    cause: err,
  });
}

/** Apply every migration not yet applied, each in its own transaction, recorded by name. */
export function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      if (m.sql.trim() !== '') db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
  }
}

/** True when the store lacks migrations this irctl has (a case last written by an older irctl). */
export function schemaBehind(db: Db): boolean {
  try {
    // Every version, not the highest: migrations developed side by side may land out of number order (8 after 9).
    const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    return migrations.some((m) => !applied.has(m.version));
  } catch {
    return true;
  }
}

/** Evidence tables and their required append-only triggers, across all migrations. */
export function requiredTriggers(): string[] {
  return migrations.flatMap((m) => m.evidenceTables.flatMap((t) => [`${t}_no_update`, `${t}_no_delete`]));
}
