/**
 * Cloud Asset Inventory snapshot for `collect gcp --context`: instances, firewall rules, buckets and their IAM
 * policies, service accounts and their keys, for each resource name collected. Each search page is an input row
 * with the SHA-256 of its body as received; each result is stored as a `gcp:asset:<kind>` context record
 * (src/sources/gcp/context.ts). A failed search is reported and the rest of the snapshot kept (exit 6).
 */
import { rowFromItem } from '../../ingest/records.js';
import { gcpAssetKind, gcpContextRecord, GCP_ASSET_KINDS } from '../../sources/gcp/context.js';
import { gcpExposureOf } from '../../sources/gcp/exposure.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { sha256Hex } from '../../util/hash.js';
import { explainGcpError, isGcpAbort, type GcpExplained } from './errors.js';
import { GcpApiError } from './ports.js';
import { withGcpRetries, type GcpRunContext } from './run-context.js';

/** Outcome of the snapshot. */
export interface GcpContextResult {
  status: 'ok' | 'partial' | 'failed' | 'interrupted';
  /** Records stored per kind. */
  counts: Record<string, number>;
  pages: number;
  page_hashes: string[];
  /** Exposure findings (firewall rules open to the internet, external IPs, public buckets, user-managed keys), sorted. */
  exposed: string[];
  errors: Array<GcpExplained & { scope: string; method: string }>;
}

const RESOURCE_TYPES = [GCP_ASSET_KINDS.instance, GCP_ASSET_KINDS.firewall, GCP_ASSET_KINDS.bucket, GCP_ASSET_KINDS['service-account'], GCP_ASSET_KINDS['service-account-key']];

/** Snapshot every scope. Never throws for API failures. */
export async function collectGcpContext(ctx: GcpRunContext, scopes: readonly string[]): Promise<GcpContextResult> {
  const res: GcpContextResult = { status: 'ok', counts: {}, pages: 0, page_hashes: [], exposed: [], errors: [] };
  const observedAt = ctx.now().toISOString();
  let calls = 0;
  for (const scope of scopes) {
    for (const method of ['searchAllResources', 'searchAllIamPolicies'] as const) {
      calls++;
      let token: string | undefined;
      try {
        do {
          if (ctx.signal.aborted) {
            res.status = 'interrupted';
            return res;
          }
          const query = new URLSearchParams({ pageSize: '500', ...(token !== undefined ? { pageToken: token } : {}) });
          if (method === 'searchAllResources') {
            for (const t of RESOURCE_TYPES) query.append('assetTypes', t);
            // The full resource (firewall source ranges and ports, key types) is returned only when asked for.
            query.set('readMask', '*');
          } else query.append('assetTypes', GCP_ASSET_KINDS.bucket);
          const page = await withGcpRetries(ctx, () => ctx.ports.assetSearch(scope, method, query, ctx.signal), 4);
          let parsed: { results?: unknown; nextPageToken?: unknown };
          try {
            parsed = JSON.parse(page.body.toString('utf8')) as typeof parsed;
          } catch (err) {
            throw new GcpApiError(`the ${method} response is not JSON (${err instanceof Error ? err.message : String(err)})`, `cloudasset.assets.${method}`, 'BAD_RESPONSE', undefined, 'fatal');
          }
          const results = Array.isArray(parsed.results) ? (parsed.results as unknown[]) : [];
          const rows: IngestRow[] = [];
          results.forEach((r, i) => {
            const item = typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : {};
            const kind = gcpAssetKind(typeof item.assetType === 'string' ? item.assetType : '', method === 'searchAllIamPolicies');
            const rec = kind ? gcpContextRecord(kind, item, { scope, observedAt }) : undefined;
            if (!kind || !rec) {
              const bytes = Buffer.from(JSON.stringify(r), 'utf8');
              rows.push({ kind: 'rejected', bytes, sha256: sha256Hex(bytes), index: i, offset: null, reason: `record ${i}: ${method} result without a known asset type or name` });
              return;
            }
            const row = rowFromItem({ type: 'record', bytes: Buffer.from(rec.text, 'utf8'), index: i, offset: 0 }, 'jsonl');
            rows.push({ ...row, offset: null });
            if (row.kind === 'accepted') {
              res.counts[kind] = (res.counts[kind] ?? 0) + 1;
              res.exposed.push(...gcpExposureOf(kind, rec.name, item));
            }
          });
          ctx.store.storePage({
            runId: ctx.runId,
            kind: 'api_page',
            locator: `cloudasset:${method} ${scope}`,
            params: { scope, assetTypes: query.getAll('assetTypes'), ...(query.has('readMask') ? { readMask: query.get('readMask') } : {}), ...(token !== undefined ? { pageToken_sha256: sha256Hex(token) } : {}), body_hash_of: 'body' },
            sha256: page.sha256,
            size: page.body.length,
            status: 'ok',
            records: results.length,
            rows,
            receivedAt: ctx.now().toISOString(),
          });
          res.pages++;
          res.page_hashes.push(page.sha256);
          token = typeof parsed.nextPageToken === 'string' && parsed.nextPageToken !== '' ? parsed.nextPageToken : undefined;
        } while (token !== undefined);
      } catch (err) {
        if (isGcpAbort(err) || ctx.signal.aborted) {
          res.status = 'interrupted';
          return res;
        }
        const e = explainGcpError(err, scope, ctx.ports.endpoints.cloudasset);
        res.errors.push({ ...e, scope, method: `cloudasset.assets.${method}` });
        ctx.warn('IRCTL_COLLECT_W3102', `Cloud Asset Inventory ${scope} (${method}): ${e.message}`);
      }
    }
  }
  if (res.errors.length > 0) res.status = res.errors.length >= calls ? 'failed' : 'partial';
  res.exposed.sort();
  return res;
}
