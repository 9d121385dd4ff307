/**
 * `--context`: a snapshot of the resources that matter for exposure and blast radius, through Azure Resource Graph
 * (`POST {arm}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01`, `$skipToken` paging). Each
 * answer page is an input (SHA-256 of the body as received); each element of its `data` array is stored, byte for
 * byte, inside a context record (`azure:resource:<kind>`, see src/sources/azure/resource-context.ts). The snapshot
 * also lists what is open to the internet: NSG rules allowing inbound traffic from any source, and storage accounts
 * that allow anonymous blob access.
 */
import { RecordSplitter, type SplitItem } from '../../ingest/json-split.js';
import { rowFromItem } from '../../ingest/records.js';
import { AZURE_CONTEXT_KINDS, azureContextText, type AzureContextKind } from '../../sources/azure/resource-context.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { explainAzureError, isAzureAbort, type AzureExplained } from './errors.js';
import type { AzureRunContext } from './run-context.js';

/** Resource Graph api-version. */
export const RESOURCE_GRAPH_API_VERSION = '2022-10-01';
/** Rows per page asked for (the service's maximum is 1000). */
export const RESOURCE_GRAPH_TOP = 1000;

/** Outcome of the snapshot. */
export interface AzureContextResult {
  status: 'ok' | 'partial' | 'failed' | 'interrupted';
  counts: Partial<Record<AzureContextKind, number>>;
  pages: number;
  page_hashes: string[];
  /** What is reachable from the internet. */
  exposed: string[];
  errors: Array<AzureExplained & { kind_of_resource: AzureContextKind }>;
}

/** The KQL of one kind (pure). */
export function contextQuery(kind: AzureContextKind): string {
  const k = AZURE_CONTEXT_KINDS[kind];
  return `${k.table} | where type =~ '${k.type}' | order by id asc`;
}

const INTERNET = new Set(['*', 'internet', '0.0.0.0/0', '0.0.0.0', '::/0', 'any']);

/** Findings of one element (pure): open inbound NSG rules, anonymous blob access. */
export function exposureOf(kind: AzureContextKind, el: Record<string, unknown>): string[] {
  const id = typeof el.id === 'string' ? el.id : '?';
  const p = (el.properties ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  const strs = (...vs: unknown[]): string[] => vs.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v])).filter((x): x is string => typeof x === 'string');
  const text = (v: unknown, dflt: string): string => (typeof v === 'string' ? v : dflt);
  if (kind === 'network-security-group' && Array.isArray(p.securityRules)) {
    for (const r of p.securityRules as Array<Record<string, unknown>>) {
      const rp = (r.properties ?? {}) as Record<string, unknown>;
      const sources = strs(rp.sourceAddressPrefix, rp.sourceAddressPrefixes);
      if (text(rp.direction, '').toLowerCase() === 'inbound' && text(rp.access, '').toLowerCase() === 'allow' && sources.some((s) => INTERNET.has(s.toLowerCase()))) {
        const ports = strs(rp.destinationPortRange, rp.destinationPortRanges).join(',');
        out.push(`${id}: rule ${text(r.name, '?')} allows ${text(rp.protocol, '*')}:${ports || '*'} from ${sources.join(',')}`);
      }
    }
  }
  if (kind === 'storage-account' && p.allowBlobPublicAccess === true) out.push(`${id}: anonymous blob access allowed (allowBlobPublicAccess)`);
  return out;
}

/** Snapshot the kinds over `subscriptions`. Never throws for Azure failures. */
export async function collectAzureContext(ctx: AzureRunContext, subscriptions: string[]): Promise<AzureContextResult> {
  const res: AzureContextResult = { status: 'ok', counts: {}, pages: 0, page_hashes: [], exposed: [], errors: [] };
  const observedAt = ctx.now().toISOString();
  const url = `${ctx.endpoints.arm}/providers/Microsoft.ResourceGraph/resources?api-version=${RESOURCE_GRAPH_API_VERSION}`;
  const kinds = Object.keys(AZURE_CONTEXT_KINDS) as AzureContextKind[];
  for (const kind of kinds) {
    let skipToken: string | undefined;
    try {
      do {
        if (ctx.signal.aborted) {
          res.status = 'interrupted';
          return res;
        }
        const request = { subscriptions, query: contextQuery(kind), options: { $top: RESOURCE_GRAPH_TOP, resultFormat: 'objectArray', ...(skipToken !== undefined ? { $skipToken: skipToken } : {}) } };
        const page = await ctx.http.call(ctx.endpoints.armAudience, 'POST', url, JSON.stringify(request));
        const split = new RecordSplitter({ kind: 'key', keys: ['data'] });
        const items: SplitItem[] = [];
        split.push(page.body, items);
        split.end(items);
        const rows: IngestRow[] = [];
        for (const it of items) {
          if (it.type === 'note' || it.type === 'header') continue;
          if (it.type === 'issue') {
            rows.push(rowFromItem(it, 'jsonl'));
            continue;
          }
          let el: Record<string, unknown> = {};
          try {
            el = JSON.parse(it.bytes.toString('utf8')) as Record<string, unknown>;
          } catch {
            // quarantined below by rowFromItem
          }
          const sub = typeof el.subscriptionId === 'string' ? el.subscriptionId : (subscriptions[0] ?? '');
          const text = azureContextText(kind, it.bytes.toString('utf8'), observedAt, sub);
          rows.push({ ...rowFromItem({ type: 'record', bytes: Buffer.from(text, 'utf8'), index: it.index, offset: it.offset }, 'jsonl') });
          res.exposed.push(...exposureOf(kind, el));
        }
        let next: string | undefined;
        try {
          const v = JSON.parse(page.body.toString('utf8')) as Record<string, unknown>;
          next = typeof v.$skipToken === 'string' && v.$skipToken !== '' ? v.$skipToken : undefined;
        } catch {
          next = undefined;
        }
        ctx.store.storePage({
          runId: ctx.runId,
          kind: 'api_page',
          locator: `arm:resourcegraph ${kind}`,
          params: { request: `POST ${url}`, body: { ...request, options: { ...request.options, ...(skipToken !== undefined ? { $skipToken: skipToken } : {}) } }, status: page.status },
          sha256: page.sha256,
          size: page.body.length,
          status: 'ok',
          records: rows.length,
          rows,
          receivedAt: ctx.now().toISOString(),
        });
        res.pages++;
        res.page_hashes.push(page.sha256);
        res.counts[kind] = (res.counts[kind] ?? 0) + rows.filter((r) => r.kind === 'accepted').length;
        skipToken = next;
      } while (skipToken !== undefined);
    } catch (err) {
      if (isAzureAbort(err) || ctx.signal.aborted) {
        res.status = 'interrupted';
        return res;
      }
      const e = explainAzureError(err, `Resource Graph (${kind})`, ctx.endpoints.arm);
      res.errors.push({ ...e, kind_of_resource: kind });
      ctx.warn('IRCTL_COLLECT_W3103', `Azure context ${kind}: ${e.message}`);
    }
  }
  if (res.errors.length > 0) res.status = res.errors.length >= kinds.length ? 'failed' : 'partial';
  return res;
}
