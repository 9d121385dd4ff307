/**
 * The IAM audit configuration of each collected resource (`collect gcp`, with the log configuration): Resource
 * Manager `getIamPolicy`, whose `auditConfigs` say which services write Data Access audit logs. Each response is an
 * input row with the SHA-256 of its body as received, holding one `gcp:iam:policy` context record
 * (src/sources/gcp/audit-config.ts), so that `case info` and the investigation's log coverage can say which services
 * have Data Access logs on or off. A refused read is a warning; the collection's exit code does not change (as for
 * the log configuration).
 */
import { rowFromItem } from '../../ingest/records.js';
import { auditConfigsOf, dataAccessSentence, iamPolicyRecord, type ServiceAuditConfig } from '../../sources/gcp/audit-config.js';
import { explainGcpError, isGcpAbort } from './errors.js';
import { GcpApiError } from './ports.js';
import { withGcpRetries, type GcpRunContext } from './run-context.js';

/** The audit configuration of one resource as the summary reports it. */
export interface AuditConfigResult {
  scope: string;
  /** Services with audit log types configured (`allServices` first). */
  services: ServiceAuditConfig[];
  /** One sentence: which services write Data Access logs. */
  data_access: string;
  /** SHA-256 of the getIamPolicy response as received. */
  page_sha256?: string | undefined;
  /** Set when the policy could not be read. */
  error?: string | undefined;
}

/** Read and store the IAM policy of each scope. Never throws for API failures; stops on Ctrl-C. */
export async function collectAuditConfig(ctx: GcpRunContext, scopes: readonly string[]): Promise<AuditConfigResult[]> {
  const out: AuditConfigResult[] = [];
  for (const scope of scopes) {
    if (ctx.signal.aborted) break;
    try {
      const page = await withGcpRetries(ctx, () => ctx.ports.iamPolicy(scope, ctx.signal), 4);
      let policy: unknown;
      try {
        policy = JSON.parse(page.body.toString('utf8')) as unknown;
      } catch (err) {
        throw new GcpApiError(`the getIamPolicy response is not JSON (${err instanceof Error ? err.message : String(err)})`, 'resourcemanager.getIamPolicy', 'BAD_RESPONSE', undefined, 'fatal');
      }
      const observedAt = ctx.now().toISOString();
      const text = iamPolicyRecord(scope, policy, observedAt);
      const row = rowFromItem({ type: 'record', bytes: Buffer.from(text, 'utf8'), index: 0, offset: 0 }, 'jsonl');
      ctx.store.storePage({
        runId: ctx.runId,
        kind: 'api_page',
        locator: `resourcemanager:getIamPolicy ${scope}`,
        params: { resource: scope, requestedPolicyVersion: 3, body_hash_of: 'body' },
        sha256: page.sha256,
        size: page.body.length,
        status: 'ok',
        records: 1,
        rows: [{ ...row, offset: null }],
        receivedAt: observedAt,
      });
      out.push({ scope, services: auditConfigsOf(policy), data_access: dataAccessSentence(scope, policy, observedAt), page_sha256: page.sha256 });
    } catch (err) {
      if (isGcpAbort(err) || ctx.signal.aborted) break;
      const e = explainGcpError(err, scope, ctx.ports.endpoints.resourcemanager);
      out.push({ scope, services: [], data_access: `the IAM audit config of ${scope} could not be read`, error: e.message });
      ctx.warn('IRCTL_COLLECT_W3106', `cannot read the IAM audit configuration of ${scope} (which services write Data Access logs): ${e.message}`);
    }
  }
  return out;
}
