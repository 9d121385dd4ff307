import { awsCloudTrail } from './aws-cloudtrail.js';
import { awsEc2ContextAdapters } from './aws-ec2-context.js';
import type { SourceAdapter } from './types.js';

/** Every source adapter, tried in order for each record. Add one line per new source. */
export const sourceAdapters: readonly SourceAdapter[] = [awsCloudTrail, ...awsEc2ContextAdapters];

/** The first adapter that recognises a parsed record. */
export function adapterFor(record: unknown, adapters: readonly SourceAdapter[] = sourceAdapters): SourceAdapter | undefined {
  return adapters.find((a) => a.matches(record));
}

/** Adapter by data type (to re-normalize stored raw records). */
export function adapterByDataType(dataType: string): SourceAdapter | undefined {
  return sourceAdapters.find((a) => a.dataType === dataType);
}

export type { SourceAdapter } from './types.js';
