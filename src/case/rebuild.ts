import type { CaseHandle } from './case.js';
import { adapterByDataType } from '../sources/index.js';
import { clearDerivedEvents, indexEntities, rebuildEventRows } from '../store/ingest-repo.js';
import type { NormalizedEvent } from '../normalize/event.js';

/** Re-derive events and entities from raw evidence. Evidence is not touched. */
export function rebuildEvents(kase: CaseHandle): { raw_records: number; events: number; failed: number } {
  clearDerivedEvents(kase.db);
  const r = rebuildEventRows(kase.db, (dataType, raw, sha) => {
    const adapter = adapterByDataType(dataType);
    if (!adapter) return undefined;
    try {
      const res = adapter.normalize(JSON.parse(raw) as unknown, sha);
      return res.ok ? res.event : undefined;
    } catch {
      return undefined;
    }
  });
  indexEntities(kase.db);
  return r;
}
export type { NormalizedEvent };
