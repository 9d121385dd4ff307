/**
 * The import stage: exported log files -> evidence store. Records are stored verbatim and hashed, de-duplicated by
 * event identity, and every run is written to the custody chain (start and end entries).
 */
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { CaseHandle } from '../case/case.js';
import type { IoHost } from '../io/io-host.js';
import { appendCustody, type ChainHead } from '../store/custody.js';
import { IngestWriter, indexEntities, type IngestRow, type InputRow } from '../store/ingest-repo.js';
import { readInputFile, InputOpenError, type InputFileEnd } from './read-input.js';
import { rowFromItem } from './records.js';
import type { InputFormat } from './formats.js';
import { walkInputs } from './walk.js';
import { sha256Hex } from '../util/hash.js';
import { quarantineForInput } from '../store/query-repo.js';

/** Options of one import run. */
export interface ImportOptions {
  /** Files and directories to import. */
  paths: string[];
  /** Container format, or auto-detect per file. @default 'auto' */
  format: InputFormat;
  /** Aborted on Ctrl-C: the run stops after the current batch and records what it saved. */
  signal?: AbortSignal | undefined;
  /** Rows per transaction. @default 5000 */
  batchSize?: number;
  /** Clock (injected for tests). */
  now?: () => Date;
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
  quarantined: number;
  status: 'ok' | 'partial' | 'failed' | 'skipped';
  error?: string;
}

/** Summary of an import run (`irctl import --json` prints it). */
export interface ImportSummary {
  run_id: string;
  files: number;
  files_failed: number;
  skipped: number;
  records: number;
  events: number;
  duplicates: number;
  quarantined: number;
  interrupted: boolean;
  custody_head: ChainHead;
  file_outcomes: FileOutcome[];
}

/** CloudTrail digest files are integrity data, not events. */
function isDigestFile(path: string): boolean {
  return /CloudTrail-Digest/.test(path);
}

/** Run an import into an open case. */
export async function importPaths(kase: CaseHandle, opts: ImportOptions, io: IoHost): Promise<ImportSummary> {
  const now = opts.now ?? (() => new Date());
  const batchSize = opts.batchSize ?? 5000;
  const runId = randomUUID();
  const db = kase.db;
  const writer = new IngestWriter(db);
  const outcomes: FileOutcome[] = [];
  const walk = await walkInputs(opts.paths);
  let skipped = 0;
  for (const s of walk.skipped) {
    skipped++;
    io.notify({ level: 'warn', code: 'IRCTL_IMPORT_W1001', message: `skipped ${s.path}: it ${s.reason}`, data: { ...s } });
    outcomes.push({ path: s.path, sha256: null, size: null, format: 'none', records: 0, events: 0, duplicates: 0, quarantined: 0, status: 'skipped', error: s.reason });
  }
  const files = walk.files.filter((f) => {
    if (!isDigestFile(f)) return true;
    io.notify({ level: 'info', code: 'IRCTL_IMPORT_I1002', message: `not importing ${f}: a CloudTrail digest file (integrity data, not events)` });
    return false;
  });
  if (files.length === 0 && walk.skipped.length === 0) {
    io.notify({ level: 'warn', code: 'IRCTL_IMPORT_W1003', message: 'no files found under the given paths' });
  }

  db.transaction(() =>
    appendCustody(db, { action: 'import.start', run_id: runId, details: { paths: opts.paths, format: opts.format, files: files.length } }, kase.provenance, now()),
  )();

  const totals = { records: 0, events: 0, duplicates: 0, quarantined: 0, failed: 0 };
  let interrupted = false;
  const progress = io.progress(`importing ${files.length} file(s)`);
  try {
    for (let fi = 0; fi < files.length; fi++) {
      const path = files[fi] as string;
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const inputId = writer.beginInput(runId, path);
      const fo: FileOutcome = { path, sha256: null, size: null, format: opts.format, records: 0, events: 0, duplicates: 0, quarantined: 0, status: 'ok' };
      let rows: IngestRow[] = [];
      const flush = (input: InputRow | null): void => {
        const c = writer.writeBatch(rows, input);
        fo.events += c.events;
        fo.duplicates += c.duplicates;
        fo.quarantined += c.quarantined;
        rows = [];
        progress.update(`importing ${fi + 1}/${files.length} ${basename(path)}: ${totals.events + fo.events} events`);
      };
      let end: InputFileEnd | undefined;
      try {
        const gen = readInputFile(path, opts.format);
        for (;;) {
          const next = await gen.next();
          if (next.done === true) {
            end = next.value;
            break;
          }
          for (const item of next.value.items) {
            rows.push(rowFromItem(item, next.value.format));
            if (item.type === 'record') fo.records++;
          }
          if (rows.length >= batchSize) flush(null);
          if (opts.signal?.aborted) {
            interrupted = true;
            await gen.return({ sha256: '', size: 0, gzip: false, format: 'unknown' });
            break;
          }
        }
      } catch (err) {
        if (!(err instanceof InputOpenError)) throw err;
        fo.status = 'failed';
        fo.error = err.message;
      }
      if (end) {
        fo.sha256 = end.sha256;
        fo.size = end.size;
        fo.format = end.format;
        if (end.format === 'empty' && end.error === undefined) {
          fo.status = 'partial';
          fo.error = 'file is empty (no records)';
          rows.push({ kind: 'rejected', bytes: Buffer.alloc(0), sha256: sha256Hex(''), index: null, offset: 0, reason: 'file is empty (no records)' });
        }
        if (end.error !== undefined) {
          fo.status = 'partial';
          fo.error = end.error;
          rows.push({ kind: 'rejected', bytes: Buffer.alloc(0), sha256: sha256Hex(''), index: null, offset: null, reason: end.error });
        }
      } else if (interrupted) {
        fo.status = 'partial';
        fo.error = 'interrupted before the end of the file';
      }
      const quarantinedSoFar = fo.quarantined + rows.filter((r) => r.kind === 'rejected').length;
      if (fo.status === 'ok' && quarantinedSoFar > 0) fo.status = 'partial';
      flush({
        id: inputId,
        runId,
        kind: 'file',
        locator: path,
        params: { format: fo.format, gzip: end?.gzip ?? null },
        sha256: fo.sha256,
        size: fo.size,
        status: fo.status === 'skipped' ? 'failed' : fo.status,
        records: fo.records,
        quarantined: quarantinedSoFar,
        receivedAt: now().toISOString(),
      });
      if (fo.status === 'failed') totals.failed++;
      if (fo.status === 'failed') {
        io.notify({
          level: 'warn',
          code: fo.status === 'failed' ? 'IRCTL_IMPORT_W1004' : 'IRCTL_IMPORT_W1005',
          message: `${path}: ${fo.error}${fo.status === 'failed' ? ' (nothing imported from it)' : ''}`,
          data: { path, status: fo.status },
        });
      }
      if (fo.quarantined > 0) reportQuarantine(kase, io, path, inputId);
      totals.records += fo.records;
      totals.events += fo.events;
      totals.duplicates += fo.duplicates;
      totals.quarantined += fo.quarantined;
      outcomes.push(fo);
      if (interrupted) break;
    }
  } finally {
    progress.stop();
  }

  indexEntities(db);
  const summaryDetails = {
    files: files.length,
    files_failed: totals.failed,
    skipped,
    records: totals.records,
    events: totals.events,
    duplicates: totals.duplicates,
    quarantined: totals.quarantined,
    interrupted,
    inputs: outcomes.map((o) => ({ path: o.path, sha256: o.sha256, size: o.size, format: o.format, records: o.records, status: o.status })),
  };
  const head = db.transaction(() => appendCustody(db, { action: 'import.end', run_id: runId, details: summaryDetails }, kase.provenance, now()))();
  return {
    run_id: runId,
    files: files.length,
    files_failed: totals.failed,
    skipped,
    records: totals.records,
    events: totals.events,
    duplicates: totals.duplicates,
    quarantined: totals.quarantined,
    interrupted,
    custody_head: head,
    file_outcomes: outcomes,
  };
}

/** Name the first few quarantined records of an input so the operator can find them. */
function reportQuarantine(kase: CaseHandle, io: IoHost, path: string, inputId: number): void {
  const { total, reasons } = quarantineForInput(kase.db, inputId, 5);
  const rows = reasons.map((reason) => ({ reason }));
  for (const r of rows) {
    io.notify({ level: 'warn', code: 'IRCTL_IMPORT_W1006', message: `${path}: ${r.reason} (quarantined)`, data: { path } });
  }
  if (total > rows.length) {
    io.notify({
      level: 'warn',
      code: 'IRCTL_IMPORT_W1007',
      message: `${path}: ${total - rows.length} more record(s) quarantined; list them with \`irctl case quarantine\``,
    });
  }
}
