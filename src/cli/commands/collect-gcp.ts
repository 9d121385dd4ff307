import { Option } from 'commander';
import { defineCommand, type CommandContext } from '../command.js';
import { withCase } from '../with-case.js';
import { contextLines, list, positive, safe, str, summaryEnd } from './collect-flags.js';


async function collectGcpHandler(opts: Record<string, unknown>, ctx: CommandContext): Promise<number> {
  const { collectGcp, gcpOutcomeOf } = await import('../../collect/gcp/collect.js');
  return withCase(ctx, { access: 'write', create: true }, async (kase) => {
    const s = await collectGcp(
      kase,
      {
        since: str(opts.since) ?? '24h',
        until: str(opts.until),
        projects: list(opts.project),
        folders: list(opts.folder),
        organizations: list(opts.organization),
        logs: list(opts.logs),
        filter: str(opts.filter),
        overlap: str(opts.overlap) ?? '15m',
        context: opts.context === true,
        logConfig: opts.logConfig !== false,
        impersonate: str(opts.impersonateServiceAccount),
        readsPerMinute: positive('--reads-per-minute', opts.readsPerMinute, 50),
        maxRetries: Math.floor(positive('--max-retries', opts.maxRetries ?? '8', 8)),
      },
      ctx.io,
      { env: ctx.env, signal: ctx.signal, now: ctx.now },
    );
    const o = gcpOutcomeOf(s);
    if (ctx.io.json) {
      ctx.io.outJson({
        run_id: s.run_id,
        api: s.api,
        caller: s.caller.email,
        credentials: s.caller.credentialType,
        resource_names: s.resource_names,
        window: s.window,
        logs: s.logs,
        filter: s.filter,
        events: s.events,
        duplicates: s.duplicates,
        quarantined: s.quarantined,
        pages: s.pages,
        throttled: s.throttled,
        retried: s.retried,
        token_restarts: s.token_restarts,
        failed_slices: s.failed_slices,
        interrupted: s.interrupted,
        by_log: s.by_log,
        absent_logs: s.absent_logs,
        per_slice: s.results.map((r) => ({
          scope: r.scope,
          status: r.status,
          events: r.events,
          duplicates: r.duplicates,
          pages: r.pages,
          elapsed_ms: r.elapsed_ms,
          resume_point: r.resume_point,
          ...(r.error ? { error: r.error } : {}),
        })),
        log_config: s.log_config,
        coverage_warnings: s.coverage_warnings,
        audit_config: s.audit_config,
        context: s.context ? { status: s.context.status, counts: s.context.counts, pages: s.context.pages, exposed: s.context.exposed, errors: s.context.errors.map((e) => e.message) } : null,
        custody_head: s.custody_head,
        exit_code: o.code,
      });
    } else {
      ctx.io.out(`case      ${kase.dir}`);
      ctx.io.out(`caller    ${safe(s.caller.email)} (${s.caller.credentialType})`);
      ctx.io.out(`source    ${s.api}  ${s.window.since} .. ${s.window.until}  logs: ${s.logs.join(', ')}${s.filter !== null ? `  filter: ${safe(s.filter)}` : ''}`);
      for (const r of s.results) {
        const rate = r.elapsed_ms > 0 ? ` ${(((r.events + r.duplicates) * 1000) / r.elapsed_ms).toFixed(0)} entries/s` : '';
        const scope = r.resource_names.length > 3 ? `${r.resource_names.slice(0, 3).join(',')} +${r.resource_names.length - 3}` : r.scope;
        ctx.io.out(`  ${safe(scope).padEnd(28)} ${r.status.padEnd(11)} ${r.events} new, ${r.duplicates} duplicate, ${r.pages} pages${rate}`);
        if (r.error) ctx.io.out(`  ${' '.repeat(28)} ${safe(r.error.message)}`);
        if (r.status !== 'ok' && r.resume_point) ctx.io.out(`  ${' '.repeat(28)} resumes after ${safe(r.resume_point.timestamp)} (insertId ${safe(r.resume_point.insertId ?? '-')})`);
      }
      ctx.io.out(`events    ${s.events} new, ${s.duplicates} duplicate, ${s.quarantined} quarantined, ${s.pages} pages (${s.throttled} quota retries, ${s.token_restarts} page-token restarts)`);
      ctx.io.out(`logs      ${Object.entries(s.by_log).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      for (const c of s.log_config ?? []) {
        ctx.io.out(`config    ${safe(c.parent)}: ${c.error !== undefined ? `not read (${safe(c.error)})` : `${c.sinks.length} sinks, ${c.exclusions.filter((e) => !e.disabled).length} active exclusions, ${c.buckets.length} buckets`}`);
      }
      for (const w of s.coverage_warnings) ctx.io.out(`coverage  ${safe(w)}`);
      for (const a of s.audit_config ?? []) ctx.io.out(`audit     ${safe(a.error !== undefined ? `${a.data_access} (${a.error})` : a.data_access)}`);
      if (s.absent_logs.includes('data_access')) ctx.io.out('coverage  no Data Access entries: off by default for most services, so data reads are not in evidence (missing, not quiet)');
      if (s.context) {
        contextLines((l) => ctx.io.out(l), s.context, { exposed: 'exposure', none: 'no firewall rule open to the internet, no external IP, no public bucket, no user-managed key in the snapshot' });
      }
      if (s.failed_slices.length > 0 && o.code !== 4) ctx.io.out(`partial   failed: ${s.failed_slices.map(safe).join('; ')} (the rest was collected; run the same command again to resume)`);
      summaryEnd((l) => ctx.io.out(l), s);
    }
    if (o.error) throw o.error;
    return o.code;
  });
}

/** `irctl collect gcp`: Cloud Audit Logs (entries.list) and Cloud Asset Inventory context into the case. */
export const collectGcpCommand = defineCommand({
  name: 'gcp',
  description: 'collect Cloud Audit Logs (Admin Activity, Data Access, System Event, Policy Denied) and Cloud Asset Inventory context from Google Cloud',
  configure: (cmd) =>
    void cmd
      .option('--project <ids>', 'comma-separated project ids (or numbers)')
      .option('--folder <numbers>', 'comma-separated folder numbers (folder-level logs only)')
      .option('--organization <numbers>', 'organization number (organization-level logs only, not its projects\')')
      .option('--since <time>', 'start of the window: 30m, 6h, 2d, or an ISO 8601 time (UTC when no offset)', '24h')
      .option('--until <time>', 'end of the window (default: now)')
      .option('--logs <kinds>', 'audit logs to read: activity, data_access, system_event, policy (default: all four)')
      .option('--filter <clause>', 'an extra Logging query language clause, ANDed with the log names and the window, e.g. \'protoPayload.serviceName="iam.googleapis.com"\'')
      .option('--overlap <duration>', 're-scan this much before the previous run for late-delivered entries', '15m')
      .option('--context', 'also snapshot Cloud Asset Inventory (instances, firewall rules, buckets and their IAM, service accounts and keys)')
      .option('--no-log-config', 'do not read the log configuration (sinks, exclusions, log buckets) recorded with the collection')
      .option('--impersonate-service-account <email>', 'act as this service account (e.g. a read-only IR account; needs roles/iam.serviceAccountTokenCreator on it)')
      .addOption(new Option('--reads-per-minute <n>', 'entries.list requests per minute for the whole run (the default read quota is 60 per minute per project)').default('50'))
      .addOption(new Option('--max-retries <n>', 'retries per call after RESOURCE_EXHAUSTED, 5xx or network errors').default('8')),
  examples: [
    'irctl collect gcp --project prod-123 --since 6h',
    'irctl collect gcp --project prod-123,shared-vpc-456 --since 2d --logs activity,policy',
    'irctl collect gcp --organization 123456789012 --since 7d',
    'irctl collect gcp --project prod-123 --since 1d --filter \'protoPayload.serviceName="iam.googleapis.com"\' --context',
    'irctl --json collect gcp --project prod-123 --since 6h --impersonate-service-account ir-reader@sec-tools.iam.gserviceaccount.com',
  ],
  handler: (_args, opts, ctx) => collectGcpHandler(opts, ctx),
});
