import type { CaseHandle } from './case.js';
import { normalizeStored } from '../sources/index.js';
import { clearDerivedEvents, indexEntities, rebuildEventRows } from '../store/ingest-repo.js';
import type { NormalizedEvent } from '../normalize/event.js';

/**
 * Re-derive events and entities from raw evidence with the current normalizers (each event records which one made
 * it). Evidence is not touched. Brings stale derived data up to date and undoes edits of derived rows.
 */
export function rebuildEvents(kase: CaseHandle): { raw_records: number; events: number; failed: number } {
  // One transaction: a rebuild killed half-way leaves the derived rows as they were.
  return kase.db.transaction(() => {
    clearDerivedEvents(kase.db);
    const r = rebuildEventRows(kase.db, (dataType, raw, sha) => {
      const n = normalizeStored(dataType, raw, sha);
      return n.ok ? { event: n.event, normalizer: n.normalizer } : undefined;
    });
    indexEntities(kase.db);
    return r;
  })();
}
export type { NormalizedEvent };
