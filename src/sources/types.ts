import type { NormalizeResult } from '../normalize/event.js';

/**
 * One source adapter per log type (style.md §7). Adding a source = one adapter file + one line in
 * sources/index.ts + a fixture + a test.
 */
export interface SourceAdapter {
  /** Source id, `<provider>-<log>`, e.g. `aws-cloudtrail`. */
  id: string;
  /** Data type stored with each raw record, `<provider>:<log>:<record>`. */
  dataType: string;
  /** Provider name stored on events. */
  provider: string;
  /** One line for `irctl import --help` and docs. */
  description: string;
  /** Cheap structural check: does this parsed record belong to this source? */
  matches(record: unknown): boolean;
  /**
   * Pure mapping of one parsed record to the common schema. `rawSha256` is the hash of the record's exact bytes,
   * used as identity when the provider has no id of its own.
   */
  normalize(record: unknown, rawSha256: string): NormalizeResult;
}
