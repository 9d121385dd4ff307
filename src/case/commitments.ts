/**
 * Run commitments recomputed (issue 11): every evidence row is read back in insertion order, re-hashed where it
 * carries bytes, assigned to the run that wrote it, and each run's recomputed commitment is compared with the one its
 * end entry in the custody log recorded (store/commitment.ts). Investigation runs and verdict decisions commit to
 * their single row in their own custody entry.
 *
 * Catches, without an anchor: a raw record edited and its `sha256` recomputed; rows deleted from, added to or edited
 * in a committed run; evidence rows of a run the custody log does not know. It cannot catch a rewrite that also
 * rewrites the custody log from that run on: that needs a head kept outside the case (anchors.ts).
 */
import { COMMITMENT_VERSION, RunCommitment, type Commitment, type CommitmentPart, type CommittedTable } from '../store/commitment.js';
import { custodyEntries } from '../store/custody.js';
import type { Db } from '../store/db.js';
import { inputsForVerify, iterateCommittedRows, iterateRawForVerify } from '../store/verify-repo.js';
import { sha256Hex } from '../util/hash.js';

/** What the pass found. */
export interface CommitmentReport {
  /** Raw records re-hashed. */
  raw_records: number;
  /** Runs (and single-row entries) whose commitment was recomputed and compared. */
  commitments_checked: number;
  /** Integrity failures (exit 5). */
  problems: string[];
  /** Inputs of killed runs and other incomplete results (exit 6). */
  incomplete: string[];
  /** Worth knowing, not failures. */
  warnings: string[];
}

interface Claim {
  seq: number;
  action: string;
  commitment: Commitment | undefined;
}

const EMPTY_SHA256 = sha256Hex('');

function isCommitment(v: unknown): v is Commitment {
  return v !== null && typeof v === 'object' && typeof (v as { version?: unknown }).version === 'number';
}

/** The custody log's claims: run end entries by run id, investigation runs and verdict decisions by row id. */
function readClaims(db: Db): { runs: Map<string, Claim>; started: Set<string>; investigations: Map<string, Claim>; overrides: Map<string, Claim> } {
  const runs = new Map<string, Claim>();
  const started = new Set<string>();
  const investigations = new Map<string, Claim>();
  const overrides = new Map<string, Claim>();
  for (const e of custodyEntries(db)) {
    const action = typeof e.body.action === 'string' ? e.body.action : '';
    const runId = typeof e.body.run_id === 'string' ? e.body.run_id : '';
    const details = (e.body.details ?? {}) as Record<string, unknown>;
    const commitment = isCommitment(details.commitment) ? details.commitment : undefined;
    if (action.endsWith('.start')) started.add(runId);
    else if (action.endsWith('.end')) runs.set(runId, { seq: e.seq, action, commitment });
    else if (action === 'investigate.run' && typeof details.investigation_id === 'string') investigations.set(details.investigation_id, { seq: e.seq, action, commitment });
    else if (action === 'verdict.set' && (typeof details.override_id === 'number' || typeof details.override_id === 'string')) {
      overrides.set(String(details.override_id), { seq: e.seq, action, commitment });
    }
  }
  return { runs, started, investigations, overrides };
}

/** Compare a recomputed commitment with a claimed one; sentences naming what differs. */
function compare(what: string, claimed: Commitment, got: Commitment | undefined): string[] {
  const out: string[] = [];
  if (claimed.version !== COMMITMENT_VERSION) return [`${what}: commitment version ${claimed.version} is not one this irctl knows (${COMMITMENT_VERSION})`];
  const tables = new Set<string>([...Object.keys(claimed), ...Object.keys(got ?? {})]);
  tables.delete('version');
  for (const t of [...tables].sort()) {
    const c = claimed[t as CommittedTable];
    const g = got?.[t as CommittedTable] ?? { count: 0, sha256: EMPTY_SHA256 };
    if (!c) {
      if (g.count > 0) out.push(`${what}: ${g.count} ${t} row(s) that its entry does not commit to`);
      continue;
    }
    if (c.count === g.count && c.sha256 === g.sha256) continue;
    out.push(
      c.count === g.count
        ? `${what}: its ${t} rows differ from what its entry commits to (${g.count} rows, as committed, but their content changed)`
        : `${what}: its ${t} rows differ from what its entry commits to (${g.count} rows now, ${c.count} committed)`,
    );
  }
  return out;
}

/** Re-hash raw records and recompute every run's commitment. Streams every evidence table once. */
export function checkCommitments(db: Db, push: (list: string[], msg: string) => void): CommitmentReport {
  const r: CommitmentReport = { raw_records: 0, commitments_checked: 0, problems: [], incomplete: [], warnings: [] };
  const claims = readClaims(db);
  const inputs = inputsForVerify(db);
  const runOfInput = new Map(inputs.map((i) => [i.id, i.run_id]));
  const acc = new Map<string, RunCommitment>();
  const add = (run: string, table: CommittedTable, values: ReadonlyArray<string | number | null>): void => {
    let c = acc.get(run);
    if (!c) acc.set(run, (c = new RunCommitment([])));
    c.add(table, values);
  };
  const dangling = new Map<string, number>();
  const viaInput = (table: CommittedTable, inputId: unknown, values: ReadonlyArray<string | number | null>): void => {
    const run = runOfInput.get(Number(inputId));
    if (run === undefined) dangling.set(`${table}:${String(inputId)}`, (dangling.get(`${table}:${String(inputId)}`) ?? 0) + 1);
    else add(run, table, values);
  };

  for (const v of iterateCommittedRows(db, 'inputs')) add(String(v[1]), 'inputs', v);
  for (const v of iterateCommittedRows(db, 'input_completions')) viaInput('input_completions', v[1], v);
  for (const v of iterateCommittedRows(db, 'input_headers')) viaInput('input_headers', v[1], v);
  for (const { values, raw } of iterateRawForVerify(db)) {
    r.raw_records++;
    if (sha256Hex(raw) !== values[1]) push(r.problems, `raw record ${String(values[0])} (event ${String(values[2])}) does not match its SHA-256 ${String(values[1])}: it was altered`);
    viaInput('raw_records', values[4], values);
  }
  for (const v of iterateCommittedRows(db, 'raw_sightings')) viaInput('raw_sightings', v[1], v);
  for (const v of iterateCommittedRows(db, 'quarantine')) add(String(v[1]), 'quarantine', v);

  for (const [key, n] of dangling) {
    const [table, input] = key.split(':');
    push(r.problems, `${n} ${table} row(s) point to input ${input}, which does not exist: their provenance is lost (an input row was deleted, or an import before irctl 0.1 was killed)`);
  }
  for (const [run, claim] of claims.runs) {
    if (!claim.commitment) continue;
    r.commitments_checked++;
    for (const p of compare(`run ${run} (${claim.action}, custody entry ${claim.seq})`, claim.commitment, acc.get(run)?.digest())) push(r.problems, p);
  }
  const legacy: string[] = [];
  for (const [run, c] of acc) {
    const claim = claims.runs.get(run);
    if (claim?.commitment) continue;
    if (claim) legacy.push(run);
    else if (claims.started.has(run)) push(r.warnings, `run ${run} ended without an end entry: the ${describe(c)} it stored are not committed by the custody log`);
    else push(r.problems, `${describe(c)} belong to run ${run}, which the custody log does not record: added behind irctl's back, or the end of the custody log was cut`);
  }
  if (legacy.length > 0) push(r.warnings, `${legacy.length} run(s) predate run commitments (${legacy.slice(0, 3).join(', ')}${legacy.length > 3 ? ', ...' : ''}): their rows are checked by their hashes only`);

  for (const i of inputs) {
    if (!i.incomplete) continue;
    const what = `input ${i.id} (${i.locator}) of run ${i.run_id} was never completed: the run was killed or stopped while reading it; the records it stored are kept`;
    // Read again completely later (same locator): the case holds a complete copy, so it is history, not a gap.
    if (i.redone !== null) push(r.warnings, `${what}, and input ${i.redone} read the same source completely later`);
    else push(r.incomplete, `${what} (import or collect it again for a complete copy)`);
  }

  singleRows(db, 'investigations', 'investigation', claims.investigations, r, push);
  singleRows(db, 'verdict_overrides', 'verdict decision', claims.overrides, r, push);
  return r;
}

/** How many rows of which tables, in words. */
function describe(c: RunCommitment): string {
  const d = c.digest();
  const parts = Object.entries(d)
    .filter(([k]) => k !== 'version')
    .map(([k, v]) => `${(v as CommitmentPart).count} ${k}`)
    .filter((s) => !s.startsWith('0 '));
  return `${parts.join(', ')} row(s)`;
}

/** Investigation runs and verdict decisions: each row is claimed by one custody entry, which commits to it. */
function singleRows(db: Db, table: 'investigations' | 'verdict_overrides', noun: string, claims: Map<string, Claim>, r: CommitmentReport, push: (list: string[], msg: string) => void): void {
  const seen = new Set<string>();
  for (const v of iterateCommittedRows(db, table)) {
    const id = String(v[0]);
    seen.add(id);
    const claim = claims.get(id);
    if (!claim) {
      push(r.problems, `${noun} ${id} (threat ${String(v[1])}) is not recorded in the custody log: added behind irctl's back, or the end of the custody log was cut`);
      continue;
    }
    if (!claim.commitment) continue;
    r.commitments_checked++;
    const c = new RunCommitment([]);
    c.add(table, v);
    for (const p of compare(`${noun} ${id} (${claim.action}, custody entry ${claim.seq})`, claim.commitment, c.digest())) push(r.problems, p);
  }
  for (const [id, claim] of claims) {
    if (!seen.has(id) && claim.commitment) push(r.problems, `${noun} ${id} recorded at custody entry ${claim.seq} is missing from the case: it was deleted`);
  }
}
