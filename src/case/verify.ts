/**
 * `irctl case verify`: re-hash every raw record and quarantine entry, walk the custody chain, check that every
 * normalized event points to an existing raw record, that the append-only triggers are in place, and report
 * conflicting copies of the same event.
 */
import { adapterByDataType } from '../sources/index.js';
import { requiredTriggers, type Db } from '../store/db.js';
import { verifyChain, type ChainHead } from '../store/custody.js';
import { eventsWithoutRaw, iterateQuarantine, iterateRawRecords, multiCopyEvents, presentTriggers, rawWithoutEvent, runsWithoutEnd } from '../store/verify-repo.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';

/** Report of a verification. */
export interface VerifyReport {
  /** True when nothing was altered. */
  ok: boolean;
  raw_records: number;
  quarantine_entries: number;
  custody_entries: number;
  custody_head: ChainHead;
  /** Integrity failures (each names the record or entry). */
  problems: string[];
  /** Not integrity failures, but worth knowing (conflicting copies, interrupted runs). */
  warnings: string[];
  /** Events whose copies disagree beyond envelope differences. */
  conflicts: string[];
}

const MAX_LISTED = 50;

/** Verify the case store (pure over the Db port; no clock, no fs). */
export function verifyCase(db: Db): VerifyReport {
  const problems: string[] = [];
  const warnings: string[] = [];
  const push = (list: string[], msg: string): void => {
    if (list.length < MAX_LISTED) list.push(msg);
    else if (list.length === MAX_LISTED) list.push('... (more not listed)');
  };

  const triggers = presentTriggers(db);
  for (const t of requiredTriggers()) if (!triggers.has(t)) push(problems, `append-only trigger ${t} is missing: evidence could have been changed`);

  let raw = 0;
  let badRaw = 0;
  for (const r of iterateRawRecords(db)) {
    raw++;
    if (sha256Hex(Buffer.from(r.raw, 'utf8')) !== r.sha256) {
      badRaw++;
      push(problems, `raw record ${r.id} (event ${r.event_id}) does not match its SHA-256 ${r.sha256}: it was altered`);
    }
  }
  let quarantine = 0;
  for (const q of iterateQuarantine(db)) {
    quarantine++;
    if (sha256Hex(q.raw) !== q.sha256) push(problems, `quarantine entry ${q.id} (from ${q.locator}) does not match its SHA-256: it was altered`);
  }
  const orphans = eventsWithoutRaw(db, 10);
  if (orphans.count > 0) push(problems, `${orphans.count} normalized event(s) point to a raw record that does not exist (e.g. ${orphans.ids.join(', ')})`);
  const missingEvents = rawWithoutEvent(db);
  if (missingEvents > 0) push(warnings, `${missingEvents} raw record(s) have no normalized event (derived data incomplete: run \`irctl case rebuild\`)`);

  const chain = verifyChain(db);
  for (const p of chain.problems) push(problems, p);
  for (const run of runsWithoutEnd(db)) push(warnings, `run ${run} has no end entry in the custody log (interrupted or crashed); what it stored is kept`);

  const conflicts: string[] = [];
  for (const ev of multiCopyEvents(db)) {
    const forms = new Set<string>();
    for (const c of ev.copies) {
      const adapter = adapterByDataType(c.data_type);
      if (!adapter) continue;
      try {
        const res = adapter.normalize(JSON.parse(c.raw) as unknown, sha256Hex(c.raw));
        forms.add(res.ok ? canonicalJson(res.event) : `error:${res.reason}`);
      } catch {
        forms.add(`unparsable:${c.id}`);
      }
    }
    if (forms.size > 1) push(conflicts, `event ${ev.event_id}: ${ev.copies.length} copies disagree (raw records ${ev.copies.map((c) => c.id).join(', ')})`);
  }
  void badRaw;
  return {
    ok: problems.length === 0,
    raw_records: raw,
    quarantine_entries: quarantine,
    custody_entries: chain.entries,
    custody_head: chain.head,
    problems,
    warnings,
    conflicts,
  };
}
