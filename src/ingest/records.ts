/**
 * Turning split items into rows to store (pure): UTF-8 check, JSON parse, container unwrap, adapter match,
 * normalization. A malformed record is not an exception: it becomes a quarantined row with its reason.
 */
import { isUtf8 } from 'node:buffer';
import { embeddedRecord, normalizerTag, rowRecord, sourceAdapters, type SourceAdapter } from '../sources/index.js';
import type { TableHeader } from '../sources/types.js';
import type { IngestRow } from '../store/ingest-repo.js';
import { sha256Hex } from '../util/hash.js';
import { unwrapElement, type ConcreteFormat } from './formats.js';
import type { SplitHeader, SplitIssue, SplitItem, SplitRecord } from './json-split.js';
import { TablesSplitter } from './table-split.js';

/** Convert one split item into a row. */
export function rowFromItem(item: SplitRecord | SplitIssue | SplitHeader, format: ConcreteFormat, adapters: readonly SourceAdapter[] = sourceAdapters()): IngestRow {
  if (item.type === 'issue') {
    return { kind: 'rejected', bytes: item.bytes, sha256: sha256Hex(item.bytes), index: item.index ?? null, offset: item.offset, reason: item.reason };
  }
  if (item.type === 'header') return { kind: 'header', header: item.header, raw: item.raw.toString('utf8'), index: item.index, offset: item.offset };
  if (item.header) return rowFromTableRow(item, item.header, adapters);
  const reject = (reason: string, bytes: Buffer = item.bytes): IngestRow => ({
    kind: 'rejected',
    bytes,
    sha256: sha256Hex(bytes),
    index: item.index,
    offset: item.offset,
    reason: `record ${item.index}: ${reason}`,
  });
  if (!isUtf8(item.bytes)) return reject('contains bytes that are not valid UTF-8 (kept in quarantine as received)');
  const text = item.bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return reject(`is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  let unwrapped = unwrapElement(format, item.bytes, parsed);
  if ('error' in unwrapped) return reject(unwrapped.error);
  let adapter = adapters.find((a) => a.matches((unwrapped as { parsed: unknown }).parsed));
  if (!adapter) {
    // A SIEM's copy carrying the record as text (a SIEM document's original-event field): that text is the raw record.
    const inner = embeddedRecord(unwrapped.parsed);
    if (inner !== undefined) {
      let innerParsed: unknown;
      try {
        innerParsed = JSON.parse(inner);
      } catch (err) {
        return reject(`carries a record as text that is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      unwrapped = { bytes: Buffer.from(inner, 'utf8'), parsed: innerParsed };
      const p = innerParsed;
      adapter = adapters.find((a) => a.matches(p));
    }
  }
  if (!adapter) {
    const why = adapters.length === 1 ? `is not a ${adapters[0]?.id ?? '?'} record (--source)` : 'is not a record of any supported log source (`irctl import --help` lists them; `--source` forces one)';
    return reject(why, unwrapped.bytes);
  }
  const sha256 = sha256Hex(unwrapped.bytes);
  const result = adapter.normalize(unwrapped.parsed, sha256);
  if (!result.ok) return reject(result.reason, unwrapped.bytes);
  const origin = adapter.origin?.(unwrapped.parsed);
  return {
    ...(origin === undefined ? {} : { origin }),
    kind: 'accepted',
    raw: unwrapped.bytes === item.bytes ? text : unwrapped.bytes.toString('utf8'),
    sha256,
    index: item.index,
    offset: item.offset,
    event: result.event,
    normalizer: normalizerTag(adapter),
  };
}

/** The adapter that read the previous row of a header: rows of one table are almost always of one source. */
const lastAdapter = new WeakMap<TableHeader, SourceAdapter>();

/** A table row (CSV or JSON table): cells named by its header, turned into a record by the adapter that reads them. */
function rowFromTableRow(item: SplitRecord, header: TableHeader, adapters: readonly SourceAdapter[]): IngestRow {
  const where = item.line === undefined ? `row ${item.index + 1}` : `row ${item.index + 1} (line ${item.line})`;
  const reject = (reason: string): IngestRow => ({
    kind: 'rejected',
    bytes: item.bytes,
    sha256: sha256Hex(item.bytes),
    index: item.index,
    offset: item.offset,
    reason: `${where}: ${reason}`,
  });
  if (!isUtf8(item.bytes)) return reject('contains bytes that are not valid UTF-8 (kept in quarantine as received; save the export as UTF-8 and import it again)');
  const text = item.bytes.toString('utf8');
  const cells = rowRecord(header, text);
  if ('error' in cells) return reject(cells.error);
  const prev = lastAdapter.get(header);
  let adapter: SourceAdapter | undefined;
  let made: { record: unknown; origin: 'native' | 'reshaped' } | undefined;
  if (prev) {
    made = prev.fromRow?.(header, cells.row);
    if (made) adapter = prev;
  }
  if (!made) {
    for (const a of adapters) {
      if (a === prev || !a.fromRow) continue;
      made = a.fromRow(header, cells.row);
      if (made) {
        adapter = a;
        lastAdapter.set(header, a);
        break;
      }
    }
  }
  if (!adapter || !made) {
    const cols = header.columns.slice(0, 8).join(', ') + (header.columns.length > 8 ? ', ...' : '');
    const table = header.name === undefined ? '' : ` of table ${header.name}`;
    const why =
      adapters.length === 1
        ? `is not a ${adapters[0]?.id ?? '?'} row (--source); its columns${table} are ${cols}`
        : `is not a row of any supported log source; its columns${table} are ${cols} (\`irctl import --help\` lists the sources; docs/imports.md the table shapes)`;
    return reject(why);
  }
  const sha256 = sha256Hex(item.bytes);
  const result = adapter.normalize(made.record, sha256);
  if (!result.ok) return reject(result.reason);
  return { kind: 'accepted', raw: text, sha256, index: item.index, offset: item.offset, event: result.event, normalizer: normalizerTag(adapter), origin: made.origin };
}

/**
 * The rows of a JSON table response held in memory (a query API page as a collector received it):
 * each table's header row, then its rows (accepted, or rejected with the reason), in order, ready for
 * `IngestWriter.writeBatch` on the page's input. Byte offsets are offsets in `body`.
 */
export function rowsOfTableResponse(body: Buffer, adapters: readonly SourceAdapter[] = sourceAdapters()): IngestRow[] {
  const items: SplitItem[] = [];
  const s = new TablesSplitter();
  s.push(body, items);
  s.end(items);
  const out: IngestRow[] = [];
  for (const it of items) if (it.type !== 'note') out.push(rowFromItem(it, 'tables', adapters));
  return out;
}
