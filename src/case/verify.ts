/**
 * `irctl case verify`: check the case store against itself and, given one, against a head kept outside it.
 *
 * - the append-only triggers are in place;
 * - every raw record and quarantine entry matches its SHA-256;
 * - every run's evidence rows match what its end entry in the custody log commits to (commitments.ts), and every
 *   investigation run and verdict decision matches its custody entry;
 * - the custody chain links and hashes;
 * - every event and its entity rows are what its raw record normalizes to (derived-check.ts);
 * - with `--head`, `--bundle` or `--seal`, the chain still contains that head (seal.ts).
 *
 * Exit 5 for anything altered; else exit 6 for stale or incomplete results (derived data made by an older
 * normalizer, inputs of killed runs); else 0.
 */
import { ExitCode } from '../errors.js';
import { normalizeStored } from '../sources/index.js';
import { requiredTriggers, type Db } from '../store/db.js';
import { verifyChain, type ChainHead } from '../store/custody.js';
import { eventsWithoutRaw, iterateQuarantine, multiCopyEvents, presentTriggers, rawWithoutEvent, runsWithoutEnd } from '../store/verify-repo.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';
import { checkCommitments } from './commitments.js';
import { derivedFindings, startDerivedCheck } from './derived-check.js';
import { checkAnchor, type Anchor, type AnchorResult } from './seal.js';

/** Report of a verification (`case verify --json` prints it). */
export interface VerifyReport {
  /** True when nothing was altered (no integrity problem). */
  ok: boolean;
  /** 5 when something was altered, else 6 when something is stale or incomplete, else 0. */
  exit_code: number;
  raw_records: number;
  quarantine_entries: number;
  custody_entries: number;
  custody_head: ChainHead;
  /** Events re-normalized and compared with their raw records. */
  events_checked: number;
  /** Run end entries (and investigation / verdict entries) whose commitment was recomputed. */
  commitments_checked: number;
  /** Integrity failures (each names the record, run, event or entry): exit 5. */
  problems: string[];
  /** Stale derived data and inputs of killed runs: exit 6 (says what to run). */
  incomplete: string[];
  /** Not failures, but worth knowing (runs without an end entry, runs older than commitments). */
  warnings: string[];
  /** Events whose copies disagree beyond envelope differences. */
  conflicts: string[];
  /** Heads given with --head, --bundle, --seal, and whether the chain still contains them. */
  anchors: AnchorResult[];
  /** What this check could not see (no anchor given), or null. */
  unanchored: string | null;
}

/** Options of {@link verifyCase}. */
export interface VerifyOptions {
  /** Heads kept outside the case. */
  anchors?: readonly Anchor[];
  /** Problems found while reading the anchors (a seal's signature). */
  anchorProblems?: readonly string[];
  /** Worker threads for the derived-data check. @default 'auto' */
  threads?: boolean | 'auto';
}

const MAX_LISTED = 50;

/** What a check without an anchor cannot see: printed, so nobody reads "OK" as more than it is. */
export const UNANCHORED_NOTE =
  'no anchor given: a cut end of the custody log, a database rolled back to an older copy, or a consistent rewrite by someone with write access cannot be detected without a head kept outside the case (--head, --bundle, --seal; `irctl case seal`)';

/** Verify the case store (over the Db port; no clock, no fs). */
export async function verifyCase(db: Db, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const problems: string[] = [];
  const incomplete: string[] = [];
  const warnings: string[] = [];
  const push = (list: string[], msg: string): void => {
    if (list.length < MAX_LISTED) list.push(msg);
    else if (list.length === MAX_LISTED) list.push('... (more not listed)');
  };

  // The derived-data check runs on worker threads (large cases, compiled build) while this thread does the rest.
  const derived = startDerivedCheck(db, { threads: opts.threads ?? 'auto' });
  try {
    const triggers = presentTriggers(db);
    for (const t of requiredTriggers()) if (!triggers.has(t)) push(problems, `append-only trigger ${t} is missing: evidence could have been changed`);

    const commitments = checkCommitments(db, push);
    for (const p of commitments.problems) push(problems, p);
    for (const p of commitments.incomplete) push(incomplete, p);
    for (const w of commitments.warnings) push(warnings, w);

    let quarantine = 0;
    for (const q of iterateQuarantine(db)) {
      quarantine++;
      if (sha256Hex(q.raw) !== q.sha256) push(problems, `quarantine entry ${q.id} (from ${q.locator}) does not match its SHA-256: it was altered`);
    }
    const orphans = eventsWithoutRaw(db, 10);
    if (orphans.count > 0) push(problems, `${orphans.count} normalized event(s) point to a raw record that does not exist (e.g. ${orphans.ids.join(', ')})`);
    const missingEvents = rawWithoutEvent(db);
    if (missingEvents > 0) push(incomplete, `${missingEvents} raw record(s) have no normalized event (derived data incomplete: run \`irctl case rebuild\`)`);

    const chain = verifyChain(db);
    for (const p of chain.problems) push(problems, p);
    for (const run of runsWithoutEnd(db)) push(warnings, `run ${run} has no end entry in the custody log (interrupted or crashed); what it stored is kept`);

    const conflicts: string[] = [];
    for (const ev of multiCopyEvents(db)) {
      const forms = new Set<string>();
      for (const c of ev.copies) {
        const n = normalizeStored(c.data_type, c.text, sha256Hex(c.raw));
        forms.add(n.ok ? canonicalJson(n.event) : `error:${n.reason}`);
      }
      if (forms.size > 1) push(conflicts, `event ${ev.event_id}: ${ev.copies.length} copies disagree (raw records ${ev.copies.map((c) => c.id).join(', ')})`);
    }

    for (const p of opts.anchorProblems ?? []) push(problems, p);
    const anchors = (opts.anchors ?? []).map((a) => checkAnchor(db, a, chain.head));
    for (const a of anchors) if (!a.ok) push(problems, a.message);

    const d = derivedFindings(await derived.result);
    for (const p of d.problems) push(problems, p);
    for (const s of d.stale) push(incomplete, s);

    return {
      ok: problems.length === 0,
      exit_code: problems.length > 0 ? ExitCode.Integrity : incomplete.length > 0 ? ExitCode.Partial : ExitCode.Ok,
      raw_records: commitments.raw_records,
      quarantine_entries: quarantine,
      custody_entries: chain.entries,
      custody_head: chain.head,
      events_checked: (await derived.result).events,
      commitments_checked: commitments.commitments_checked,
      problems,
      incomplete,
      warnings,
      conflicts,
      anchors,
      unanchored: anchors.length === 0 ? UNANCHORED_NOTE : null,
    };
  } finally {
    await derived.cancel();
  }
}
