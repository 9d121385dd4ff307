/**
 * EC2 context snapshot for one region: instances, security groups (with rules), network interfaces, volumes,
 * Elastic IPs and IAM instance profile associations, with their tags. Each item is stored as an evidence record
 * (`aws:ec2:<kind>`) and each API page as an input row with the SHA-256 of the XML body as received; exposure is
 * computed from the snapshot and stored as derived data.
 */
import { rowFromItem } from '../../ingest/records.js';
import { ec2Arn, ec2ContextRecord } from '../../sources/aws/ec2-context.js';
import { insertExposure, type ExposureRow } from '../../store/collect-repo.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { sha256Hex } from '../../util/hash.js';
import { explainAwsError, isAbort, type Explained } from './errors.js';
import { computeExposure } from './exposure.js';
import { AwsApiError, EC2_KINDS, type Ec2Kind } from './ports.js';
import { withRetries } from '../rate-limit.js';
import type { RunContext } from './run-context.js';

/** Outcome of one region's snapshot. */
export interface ContextResult {
  region: string;
  status: 'ok' | 'partial' | 'failed' | 'interrupted';
  /** Records stored per kind. */
  counts: Partial<Record<Ec2Kind, number>>;
  pages: number;
  page_hashes: string[];
  exposure: ExposureRow[];
  /** Calls that failed (the rest of the snapshot is kept). */
  errors: Array<Explained & { action: string }>;
}

/** Snapshot one region. Never throws for AWS failures. */
export async function collectEc2Context(ctx: RunContext, region: string): Promise<ContextResult> {
  const res: ContextResult = { region, status: 'ok', counts: {}, pages: 0, page_hashes: [], exposure: [], errors: [] };
  const observedAt = ctx.now().toISOString();
  const instances: Array<{ item: Record<string, unknown>; sha256: string }> = [];
  const securityGroups: Array<Record<string, unknown>> = [];
  const addresses: Array<Record<string, unknown>> = [];
  for (const kind of EC2_KINDS) {
    let token: string | undefined;
    try {
      do {
        if (ctx.signal.aborted) {
          res.status = 'interrupted';
          return res;
        }
        const page = await withRetries(() => ctx.ports.ec2.describe(kind, region, token, ctx.signal), {
          classify: (e) => (e instanceof AwsApiError ? e.retryClass : 'fatal'),
          maxRetries: 4,
          timer: ctx.timer,
          random: ctx.random,
          baseMs: ctx.retryBaseMs,
          signal: ctx.signal,
        });
        const rows: IngestRow[] = [];
        page.items.forEach((item, i) => {
          const rec = ec2ContextRecord(kind, item, { account: ctx.account, region, observedAt });
          if (!rec) {
            const bytes = Buffer.from(JSON.stringify(item), 'utf8');
            rows.push({ kind: 'rejected', bytes, sha256: sha256Hex(bytes), index: i, offset: null, reason: `record ${i}: ${page.operation} item has no identifier` });
            return;
          }
          const row = rowFromItem({ type: 'record', bytes: Buffer.from(rec.text, 'utf8'), index: i, offset: 0 }, 'jsonl');
          rows.push({ ...row, offset: null });
          if (row.kind === 'accepted') {
            if (kind === 'instance') instances.push({ item, sha256: row.sha256 });
            if (kind === 'security-group') securityGroups.push(item);
            if (kind === 'address') addresses.push(item);
          }
        });
        ctx.store.storePage({
          runId: ctx.runId,
          kind: 'api_page',
          locator: `ec2:${page.operation} ${region}`,
          params: { region, ...(token !== undefined ? { NextToken_sha256: sha256Hex(token) } : {}), body_hash_of: page.raw.hashOf },
          sha256: page.raw.sha256,
          size: page.raw.size,
          status: 'ok',
          records: page.items.length,
          rows,
          receivedAt: ctx.now().toISOString(),
        });
        res.pages++;
        res.page_hashes.push(page.raw.sha256);
        res.counts[kind] = (res.counts[kind] ?? 0) + rows.filter((r) => r.kind === 'accepted').length;
        token = page.nextToken;
      } while (token !== undefined);
    } catch (err) {
      if (isAbort(err) || ctx.signal.aborted) {
        res.status = 'interrupted';
        return res;
      }
      const e = explainAwsError(err, ctx.endpoints.ec2);
      res.errors.push({ ...e, action: err instanceof AwsApiError ? err.action : `ec2:${kind}` });
      ctx.warn('IRCTL_COLLECT_W3001', `EC2 context ${region}: ${e.message}`);
    }
  }
  res.exposure = computeExposure(
    { instances, securityGroups, addresses },
    { runId: ctx.runId, observedAt, account: ctx.account, region, arnOf: (item) => ec2Arn('instance', item, ctx.account, region) },
  );
  insertExposure(ctx.db, res.exposure);
  if (res.errors.length > 0) res.status = res.errors.length >= EC2_KINDS.length ? 'failed' : 'partial';
  return res;
}
