/**
 * Turning split items into rows to store (pure): UTF-8 check, JSON parse, container unwrap, adapter match,
 * normalization. A malformed record is not an exception: it becomes a quarantined row with its reason.
 */
import { isUtf8 } from 'node:buffer';
import { normalizerTag, sourceAdapters, unwrapEnvelope, type SourceAdapter } from '../sources/index.js';
import type { IngestRow } from '../store/ingest-repo.js';
import { sha256Hex } from '../util/hash.js';
import { unwrapElement, type ConcreteFormat } from './formats.js';
import type { SplitIssue, SplitRecord } from './json-split.js';

/** Convert one split item into a row. */
export function rowFromItem(item: SplitRecord | SplitIssue, format: ConcreteFormat, adapters: readonly SourceAdapter[] = sourceAdapters()): IngestRow {
  if (item.type === 'issue') {
    return { kind: 'rejected', bytes: item.bytes, sha256: sha256Hex(item.bytes), index: item.index ?? null, offset: item.offset, reason: item.reason };
  }
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
  const element = unwrapElement(format, item.bytes, parsed);
  if ('error' in element) return reject(element.error);
  const unwrapped = unwrapEnvelope(element.bytes, element.parsed);
  if ('error' in unwrapped) return reject(unwrapped.error, element.bytes);
  const adapter = adapters.find((a) => a.matches(unwrapped.parsed));
  if (!adapter) {
    const why = adapters.length === 1 ? `is not a ${adapters[0]?.id ?? '?'} record (--source)` : 'is not a record of any supported log source (`irctl import --help` lists them; `--source` forces one)';
    return reject(why, unwrapped.bytes);
  }
  const sha256 = sha256Hex(unwrapped.bytes);
  const result = adapter.normalize(unwrapped.parsed, sha256);
  if (!result.ok) return reject(result.reason, unwrapped.bytes);
  return {
    kind: 'accepted',
    raw: unwrapped.bytes === item.bytes ? text : unwrapped.bytes.toString('utf8'),
    sha256,
    index: item.index,
    offset: item.offset,
    event: result.event,
    normalizer: normalizerTag(adapter),
  };
}
