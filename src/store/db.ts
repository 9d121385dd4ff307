/**
 * The case database: opening, pragmas and migrations. This folder (src/store) is the only place that imports SQLite.
 */
import Database from 'better-sqlite3';
import { ConfigError, IntegrityError, errorMessage } from '../errors.js';
import { migrations } from './migrations/index.js';

/** A better-sqlite3 connection. */
export type Db = Database.Database;

/** Open (and create or migrate) the case database. */
export function openDatabase(file: string, opts: { readonly?: boolean; create?: boolean } = {}): Db {
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly === true, fileMustExist: opts.create !== true });
  } catch (err) {
    throw new ConfigError(`cannot open the evidence store ${file}: ${errorMessage(err)}`, {
      hint: 'Check the --case directory (or IRCTL_CASE); `irctl import` or `irctl collect` creates a case.',
      cause: err,
    });
  }
  try {
    db.pragma('busy_timeout = 10000');
    if (opts.readonly !== true) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = OFF');
    if (opts.readonly !== true) migrate(db);
  } catch (err) {
    db.close();
    if (err instanceof Error && /file is not a database|malformed/i.test(err.message)) {
      throw new IntegrityError(`${file} is not a readable SQLite evidence store: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return db;
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

/** Evidence tables and their required append-only triggers, across all migrations. */
export function requiredTriggers(): string[] {
  return migrations.flatMap((m) => m.evidenceTables.flatMap((t) => [`${t}_no_update`, `${t}_no_delete`]));
}
