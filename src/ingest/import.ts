/**
 * The import stage: exported log files -> evidence store. Records are stored verbatim and hashed, de-duplicated by
 * event identity, and every run is written to the custody chain (start and end entries).
 *
 * Anything that cannot be imported (a skipped special file, an unreadable file, a truncated gzip, a record that is
 * not JSON or not CloudTrail) is quarantined with its reason, counted, and named once on stderr with the file and
 * record index; the valid records around it are kept.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { CaseHandle } from '../case/case.js';
import { UsageError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { appendCustody, type ChainHead } from '../store/custody.js';
import { deferIndexes, IngestWriter, indexEntities, lastEventRowid, restoreDeferredIndexes, type ConflictNote, type IngestRow, type InputCompletion } from '../store/ingest-repo.js';
import { BATCH_ROWS, fileLevelReject, type FileEnd, type RowBatch } from './file-rows.js';
import { parsedStream } from './parsed-stream.js';
import { skipReason } from '../sources/index.js';
import type { InputFormat } from './formats.js';
import { walkInputs } from './walk.js';

/** Options of one import run. */
export interface ImportOptions {
  /** Files and directories to import. */
  paths: string[];
  /** Container format, or auto-detect per file. @default 'auto' */
  format: InputFormat;
  /** Source id or data type that every record must be (`--source`): forces the adapter instead of recognising one. */
  source?: string | undefined;
  /** Aborted on Ctrl-C: the run stops after the current batch and records what it saved. */
  signal?: AbortSignal | undefined;
  /** Rows per transaction. @default 1000 (BATCH_ROWS) */
  batchSize?: number;
  /** Clock (injected for tests). */
  now?: () => Date;
  /** Parse on a worker thread when running compiled. @default true */
  threads?: boolean;
}

/** Per-file outcome, recorded in the custody log. */
export interface FileOutcome {
  path: string;
  sha256: string | null;
  size: number | null;
  format: string;
  records: number;
  events: number;
  duplicates: number;
  /** New events kept apart because their record disagrees with another record of the same event id. */
  conflicts: number;
  quarantined: number;
  status: 'ok' | 'partial' | 'failed' | 'skipped';
  error?: string;
}

/** Summary of an import run (`irctl import --json` prints it). */
export interface ImportSummary {
  run_id: string;
  /**
   * Files stored as inputs (read whole, or in part when the run was interrupted or the file failed); after Ctrl-C
   * fewer than `files_found`. Digest files and skipped special files not included.
   */
  files: number;
  /** Files found under the given paths (digest files and skipped special files not included). */
  files_found: number;
  /** Files that could not be opened. */
  files_failed: number;
  /** Paths skipped while walking (broken links, FIFOs, devices). */
  skipped: number;
  /** Records (elements) seen, accepted or not. */
  records: number;
  /** New events stored. */
  events: number;
  /** Records whose event was already in the case. */
  duplicates: number;
  /**
   * Records that carry the id of another record but disagree with it: kept as separate events with a derived id
   * (`<id>#<12 hex of the record's SHA-256>`), counted in `events` too. Exit 6.
   */
  conflicts: number;
  /** The first conflicts, named (derived id, the id both records carry, the fields that differ, file and record). */
  conflict_examples: Array<ConflictNote & { path: string }>;
  /** Quarantine entries written (rejected records and file-level problems, skipped paths included). */
  quarantined: number;
  /** True when Ctrl-C stopped the run. */
  interrupted: boolean;
  custody_head: ChainHead;
  file_outcomes: FileOutcome[];
}

/** How many rejects of one file are named on stderr before summarising the rest. */
const NAMED_REJECTS = 5;
/** Conflicts named in the summary (the count is always complete). */
const CONFLICT_EXAMPLES = 5;

/**
 * Make attacker-controlled text (file names, record snippets in parser messages) safe for a terminal: control
 * characters are shown as escapes, never sent raw.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Run an import into an open case. */
export async function importPaths(kase: CaseHandle, opts: ImportOptions, io: IoHost): Promise<ImportSummary> {
  const now = opts.now ?? (() => new Date());
  const batchRows = opts.batchSize ?? BATCH_ROWS;
  for (const p of opts.paths) {
    // A mistyped top-level path is a usage error, not a reject (a broken link is reported like any other).
    if (!existsSync(p) && !isLink(p)) throw new UsageError(`${printable(p)} does not exist`, { hint: 'Check the path given to `irctl import`.' });
  }
  const runId = randomUUID();
  const db = kase.db;
  const writer = new IngestWriter(db);
  const outcomes: FileOutcome[] = [];
  const totals = { records: 0, events: 0, duplicates: 0, conflicts: 0, quarantined: 0, failed: 0 };
  const conflictExamples: Array<ConflictNote & { path: string }> = [];
  const walk = await walkInputs(opts.paths);
  const files = walk.files.filter((f) => {
    const why = skipReason(f);
    if (why === undefined) return true;
    io.notify({ level: 'info', code: 'IRCTL_IMPORT_I1002', message: `not importing ${printable(f)}: ${why}` });
    return false;
  });
  if (files.length === 0 && walk.skipped.length === 0) {
    io.notify({ level: 'warn', code: 'IRCTL_IMPORT_W1003', message: 'no files found under the given paths' });
  }

  db.transaction(() =>
    appendCustody(db, { action: 'import.start', run_id: runId, details: { paths: opts.paths, format: opts.format, files: files.length } }, kase.provenance, now()),
  )();

  // Skipped paths: nothing could be read, but the attempt is evidence too (quarantined with the reason).
  for (const s of walk.skipped) {
    writer.beginInput(runId, s.path, { params: { format: 'none' }, receivedAt: now().toISOString() });
    const reason = `skipped: it ${s.reason}`;
    const c = writer.writeBatch([fileLevelReject(reason)], completion('none', null, null, null, 'failed', 0, 1, now));
    totals.quarantined += c.quarantined;
    io.notify({ level: 'warn', code: 'IRCTL_IMPORT_W1001', message: `${printable(s.path)}: ${printable(reason)}`, data: { path: s.path, reason: s.reason } });
    outcomes.push({ path: s.path, sha256: null, size: null, format: 'none', records: 0, events: 0, duplicates: 0, conflicts: 0, quarantined: c.quarantined, status: 'skipped', error: s.reason });
  }

  let interrupted = false;
  // A bulk load into a case much smaller than the input: drop the lookup indexes and build them once at the end.
  const deferred = shouldDefer(db, files) ? deferIndexes(db) : [];
  const progress = io.progress(`importing ${files.length} file(s)`);

  /** State of the file being written. */
  interface Open {
    file: number;
    path: string;
    inputId: number;
    fo: FileOutcome;
    named: string[];
    notes: string[];
    noteCount: number;
  }
  let open: Open | undefined;
  const write = (o: Open, b: RowBatch, done: InputCompletion | null): void => {
    const c = writer.writeBatch(b.rows, done);
    o.fo.events += c.events;
    o.fo.duplicates += c.duplicates;
    o.fo.conflicts += c.conflicts;
    for (const n of c.conflictNotes) if (conflictExamples.length < CONFLICT_EXAMPLES) conflictExamples.push({ ...n, path: o.path });
    o.fo.quarantined += c.quarantined;
    progress.update(`importing ${o.file + 1}/${files.length} ${basename(o.path)}: ${totals.events + o.fo.events} events`);
  };
  const start = (file: number): Open => {
    const path = files[file] as string;
    return {
      file,
      path,
      // The input's row is written now, before its first record (a killed import leaves it 'started').
      inputId: writer.beginInput(runId, path, { params: { format: opts.format }, receivedAt: now().toISOString() }),
      fo: { path, sha256: null, size: null, format: opts.format, records: 0, events: 0, duplicates: 0, conflicts: 0, quarantined: 0, status: 'ok' },
      named: [],
      notes: [],
      noteCount: 0,
    };
  };
  const finish = (o: Open, fileEnd: FileEnd | undefined): void => {
    const fo = o.fo;
    const end = fileEnd?.end;
    if (end) {
      fo.sha256 = end.sha256;
      fo.size = end.size;
      fo.format = end.format;
    }
    if (fileEnd?.openError !== undefined) {
      fo.status = 'failed';
      fo.error = fileEnd.openError;
    } else if (fileEnd?.fileProblem !== undefined) {
      fo.status = 'partial';
      fo.error = fileEnd.fileProblem;
    } else if (!fileEnd) {
      fo.status = 'partial';
      fo.error = 'interrupted before the end of the file';
    }
    // Every batch is already written (since the input row exists before its first record, the completion is a row of
    // its own and need not ride with the last batch: holding one batch back cost a batch of memory).
    const quarantinedTotal = fo.quarantined;
    if (fo.status === 'ok' && quarantinedTotal > 0) fo.status = 'partial';
    write(
      o,
      { rows: [], records: 0, bytes: 0, notes: [] },
      completion(fo.format, end?.gzip ?? null, fo.sha256, fo.size, fo.status === 'skipped' ? 'failed' : fo.status, fo.records, quarantinedTotal, now),
    );
    if (fo.status === 'failed') totals.failed++;
    reportFile(io, o.path, fo, o.named, o.notes, o.noteCount);
    totals.records += fo.records;
    totals.events += fo.events;
    totals.duplicates += fo.duplicates;
    totals.conflicts += fo.conflicts;
    totals.quarantined += fo.quarantined;
    outcomes.push(fo);
  };

  const stream = parsedStream(files, opts.format, { batchRows, thread: opts.threads !== false, source: opts.source });
  try {
    if (opts.signal?.aborted) interrupted = true;
    while (!interrupted) {
      const next = await stream.next();
      if (next.done === true) break;
      const item = next.value;
      if (!open || open.file !== item.file) open = start(item.file);
      if (item.kind === 'end') {
        finish(open, item.end);
        open = undefined;
      } else {
        const b = item.batch;
        open.fo.records += b.records;
        for (const r of b.rows) if (r.kind === 'rejected' && open.named.length < NAMED_REJECTS) open.named.push(r.reason);
        open.noteCount += b.notes.length;
        if (open.notes.length === 0 && b.notes.length > 0) open.notes.push(b.notes[0] as string);
        write(open, b, null);
      }
      // Let the event loop run (Ctrl-C arrives as a signal event): when the parser thread is ahead, its messages are
      // drained in one go and the writes run in their microtasks, so without this a signal waits for the whole import.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.signal?.aborted) interrupted = true;
    }
    if (interrupted) {
      await stream.return();
      if (open) finish(open, undefined);
    }
  } finally {
    // On every way out (a failed write too: disk full, store busy), end the parser thread: it waits for credit that
    // will never come and would keep the process alive. (A failure to stop must not hide the error that got us here.)
    await stream.return().catch(() => undefined);
    progress.stop();
    if (deferred.length > 0) {
      io.notify({ level: 'info', code: 'IRCTL_IMPORT_I1009', message: `building indexes (${deferred.join(', ')})` });
      restoreDeferredIndexes(db);
    }
  }

  indexEntities(db);
  // Files that became inputs: every one on a complete run, those reached before Ctrl-C otherwise.
  const stored = outcomes.filter((o) => o.status !== 'skipped').length;
  const summaryDetails = {
    files: stored,
    files_found: files.length,
    files_failed: totals.failed,
    skipped: walk.skipped.length,
    records: totals.records,
    events: totals.events,
    duplicates: totals.duplicates,
    conflicts: totals.conflicts,
    quarantined: totals.quarantined,
    interrupted,
    inputs: outcomes.map((o) => ({ path: o.path, sha256: o.sha256, size: o.size, format: o.format, records: o.records, status: o.status })),
    // What this run added to the evidence tables, row by row (store/commitment.ts): `case verify` recomputes it.
    commitment: writer.commitment.digest(),
  };
  const head = db.transaction(() => appendCustody(db, { action: 'import.end', run_id: runId, details: summaryDetails }, kase.provenance, now()))();
  return {
    run_id: runId,
    files: stored,
    files_found: files.length,
    files_failed: totals.failed,
    skipped: walk.skipped.length,
    records: totals.records,
    events: totals.events,
    duplicates: totals.duplicates,
    conflicts: totals.conflicts,
    conflict_examples: conflictExamples,
    quarantined: totals.quarantined,
    interrupted,
    custody_head: head,
    file_outcomes: outcomes,
  };
}

/** Input bytes above which a bulk load may defer index building. */
const DEFER_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Defer index building when the input is big and the case holds fewer events than the input probably brings
 * (gzip files count ten times their size; ~1.5 KB per CloudTrail record). Rebuilding the indexes of a large case
 * for a small import would cost more than it saves.
 */
function shouldDefer(db: CaseHandle['db'], files: readonly string[]): boolean {
  let bytes = 0;
  for (const f of files) {
    try {
      const size = statSync(f).size;
      bytes += f.endsWith('.gz') ? size * 10 : size;
    } catch {
      // unreadable files are reported when read
    }
  }
  if (bytes < DEFER_MIN_BYTES) return false;
  return lastEventRowid(db) < bytes / 1500;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function completion(
  format: string,
  gzip: boolean | null,
  sha256: string | null,
  size: number | null,
  status: InputCompletion['status'],
  records: number,
  quarantined: number,
  now: () => Date,
): InputCompletion {
  return { params: { format, gzip }, sha256, size, status, records, quarantined, completedAt: now().toISOString() };
}

/** Name each problem of one file once: the first rejects with their record index, then how many more. */
function reportFile(io: IoHost, path: string, fo: FileOutcome, named: string[], notes: string[], noteCount: number): void {
  const p = printable(path);
  for (const reason of named) {
    io.notify({ level: 'warn', code: 'IRCTL_IMPORT_W1006', message: `${p}: ${printable(reason)} (quarantined)`, data: { path, reason } });
  }
  if (fo.quarantined > named.length) {
    io.notify({
      level: 'warn',
      code: 'IRCTL_IMPORT_W1007',
      message: `${p}: ${fo.quarantined - named.length} more record(s) quarantined; list them with \`irctl case quarantine\``,
      data: { path, more: fo.quarantined - named.length },
    });
  }
  if (fo.conflicts > 0) {
    io.notify({
      level: 'warn',
      code: 'IRCTL_IMPORT_W1010',
      message: `${p}: ${fo.conflicts} record(s) carry the event id of another record but disagree with it: kept as separate events with derived ids (see the summary; \`irctl case verify\` lists them)`,
      data: { path, conflicts: fo.conflicts },
    });
  }
  if (noteCount > 0) {
    io.notify({
      level: 'warn',
      code: 'IRCTL_IMPORT_W1008',
      message: `${p}: ${printable(notes[0] ?? '')}${noteCount > 1 ? ` (and ${noteCount - 1} more like it)` : ''}`,
      data: { path, notes: noteCount },
    });
  }
}

export type { IngestRow };
