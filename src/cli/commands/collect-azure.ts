import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { defineCommand, type CommandContext } from '../command.js';
import { withCase } from '../with-case.js';
import { contextLines, list, safe, str, summaryEnd } from './collect-flags.js';

async function collectAzureHandler(opts: Record<string, unknown>, ctx: CommandContext): Promise<number> {
  const { collectAzure, azureOutcome } = await import('../../collect/azure/collect.js');
  const { parseSignInTypes, SIGNIN_TYPES } = await import('../../collect/azure/sources.js');
  const types = opts.signinTypes === undefined ? undefined : parseSignInTypes(list(opts.signinTypes));
  if (types !== undefined && !Array.isArray(types))
    throw new UsageError(`--signin-types: unknown sign-in type ${JSON.stringify(types.unknown)}`, { hint: `Use a comma-separated list of ${Object.keys(SIGNIN_TYPES).join(', ')} (or all).` });
  if (types !== undefined && types.length === 0) throw new UsageError('--signin-types needs at least one type', { hint: `One or more of ${Object.keys(SIGNIN_TYPES).join(', ')} (or all).` });
  if (types !== undefined && opts.tenant === undefined) throw new UsageError('--signin-types needs --tenant', { hint: 'Sign-ins are read from a tenant through Microsoft Graph.' });
  const retries = Number(opts.maxRetries ?? '8');
  if (!Number.isInteger(retries) || retries < 0) throw new UsageError(`--max-retries ${JSON.stringify(opts.maxRetries)} is not a whole number`);
  return withCase(ctx, { access: 'write', create: true }, async (kase) => {
    const s = await collectAzure(
      kase,
      {
        since: str(opts.since) ?? '24h',
        until: str(opts.until),
        subscriptions: list(opts.subscription),
        tenants: list(opts.tenant),
        workspaces: list(opts.workspace),
        tables: opts.tables === undefined ? undefined : list(opts.tables),
        slice: str(opts.slice) ?? '24h',
        cloud: str(opts.cloud),
        overlap: str(opts.overlap) ?? '15m',
        context: opts.context === true,
        graphRate: str(opts.graphRate) ?? '5/10s',
        maxRetries: retries,
        signInTypes: types,
        riskDetections: opts.riskDetections !== false,
      },
      ctx.io,
      { env: ctx.env, signal: ctx.signal, now: ctx.now },
    );
    const o = azureOutcome(s);
    if (ctx.io.json) {
      ctx.io.outJson({
        run_id: s.run_id,
        cloud: s.cloud,
        caller: s.caller,
        credential: s.credential,
        window: s.window,
        subscriptions: s.subscriptions,
        tenants: s.tenants,
        workspaces: s.workspaces,
        events: s.events,
        duplicates: s.duplicates,
        quarantined: s.quarantined,
        pages: s.pages,
        throttled: s.throttled,
        retried: s.retried,
        expired_tokens: s.expired_tokens,
        failed: s.failed,
        notes: s.notes,
        interrupted: s.interrupted,
        per_scope: s.results.map((r) => ({
          scope: r.scope,
          api: r.api,
          status: r.status,
          events: r.events,
          duplicates: r.duplicates,
          pages: r.pages,
          throttled: r.throttled,
          expired_tokens: r.expired_tokens,
          elapsed_ms: r.elapsed_ms,
          ...(r.error ? { error: r.error } : {}),
          ...(r.note !== undefined ? { note: r.note } : {}),
        })),
        context: s.context ? { status: s.context.status, counts: s.context.counts, pages: s.context.pages, exposed: s.context.exposed, errors: s.context.errors } : null,
        custody_head: s.custody_head,
        exit_code: o.code,
      });
    } else {
      const who = s.caller.upn ?? s.caller.app_id ?? s.caller.object_id;
      ctx.io.out(`case      ${kase.dir}`);
      ctx.io.out(`caller    ${safe(who)} (object ${safe(s.caller.object_id)}, tenant ${safe(s.caller.tenant)}, ${s.cloud})`);
      ctx.io.out(`window    ${s.window.since} .. ${s.window.until}`);
      // Default tables a workspace does not have: one line, not one per table.
      const absent = s.results.filter((r) => r.status === 'absent').map((r) => r.scope);
      for (const r of s.results) {
        if (r.status === 'absent') continue;
        ctx.io.out(`  ${safe(r.scope).padEnd(60)} ${r.status.padEnd(11)} ${r.events} new, ${r.duplicates} duplicate, ${r.pages} pages${r.expired_tokens > 0 ? `, ${r.expired_tokens} expired token(s) resumed` : ''}`);
        if (r.error) ctx.io.out(`  ${' '.repeat(60)} ${safe(r.error.message)}\n  ${' '.repeat(60)} ${safe(r.error.hint)}`);
        if (r.note !== undefined) ctx.io.out(`  ${' '.repeat(60)} note: ${safe(r.note)}`);
      }
      if (absent.length > 0) ctx.io.out(`absent    ${absent.map(safe).join(', ')} (not in the workspace: nothing sends these tables there)`);
      ctx.io.out(`events    ${s.events} new, ${s.duplicates} duplicate, ${s.quarantined} quarantined, ${s.pages} pages (${s.throttled} throttled retries)`);
      if (s.context) {
        contextLines((l) => ctx.io.out(l), s.context, { exposed: 'EXPOSED', none: 'no NSG rule allows inbound traffic from the internet; no storage account allows anonymous blob access' });
      }
      if (s.failed.length > 0 && o.code !== 4) ctx.io.out(`partial   failed: ${s.failed.join(', ')} (the others were collected; the reason and what to do are above)`);
      summaryEnd((l) => ctx.io.out(l), s);
    }
    if (o.error) throw o.error;
    return o.code;
  });
}

/** `irctl collect azure`: Activity Log (ARM) and Entra sign-ins and audits (Graph) into the case. */
export const collectAzureCommand = defineCommand({
  name: 'azure',
  description: 'collect the Azure Activity Log (ARM), Entra ID sign-ins and audits (Microsoft Graph), Log Analytics tables and Resource Graph context',
  configure: (cmd) =>
    void cmd
      .option('--since <time>', 'start of the window: 30m, 6h, 2d, or an ISO 8601 time (UTC when no offset)', '24h')
      .option('--until <time>', 'end of the window (default: now)')
      .option('--subscription <ids>', 'comma-separated subscription ids: their Activity Log through ARM (last 90 days)')
      .option('--tenant <id>', 'Entra tenant id: sign-ins and directory audits through Microsoft Graph (needs AuditLog.Read.All; sign-ins need Entra ID P1/P2)')
      .option('--workspace <ids>', 'comma-separated Log Analytics workspace ids (GUIDs): their tables through the Logs query API')
      .option('--tables <names>', 'with --workspace: the tables to read (default: AzureActivity, SigninLogs, AADNonInteractiveUserSignInLogs, AADServicePrincipalSignInLogs, AADManagedIdentitySignInLogs, AuditLogs)')
      .option('--slice <duration>', 'with --workspace: longest time slice of one query (slices cut short by the service are halved)', '24h')
      .option('--context', 'also snapshot the subscriptions\' VMs, NICs, public IPs, NSG rules, storage accounts, Key Vaults and role assignments (Azure Resource Graph)')
      .addOption(new Option('--cloud <name>', 'Azure cloud (the az CLI names)').choices(['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud']).default('AzureCloud'))
      .option('--overlap <duration>', 're-read this much before the previous run for late-delivered records', '15m')
      .option(
        '--signin-types <types>',
        'with --tenant: kinds of sign-in, comma-separated: interactive (Graph v1.0), noninteractive, serviceprincipal, managedidentity (Graph beta), or all (default: interactive)',
      )
      .option('--no-risk-detections', 'with --tenant: skip Entra ID Protection risk detections (collected by default; a tenant without Entra ID P2 is a note)')
      .option('--graph-rate <n/period>', 'Graph requests per period per tenant (the audit-log limit is 5 per 10 s)', '5/10s')
      .addOption(new Option('--max-retries <n>', 'retries per call after throttling, 5xx or network errors').default('8')),
  examples: [
    'irctl collect azure --since 6h --subscription 00000000-0000-0000-0000-000000000000',
    'irctl collect azure --since 2d --tenant 11111111-1111-1111-1111-111111111111',
    'irctl collect azure --since 1d --tenant 11111111-1111-1111-1111-111111111111 --signin-types all',
    'irctl collect azure --since 1d --subscription 00000000-0000-0000-0000-000000000000 --context',
    'irctl collect azure --since 7d --workspace 22222222-2222-2222-2222-222222222222 --tables SigninLogs,AuditLogs,AzureDiagnostics',
    'irctl --json collect azure --since 1d --subscription SUB1,SUB2 --tenant TENANT --cloud AzureUSGovernment',
  ],
  handler: (_args, opts, ctx) => collectAzureHandler(opts, ctx),
});
