import { Option } from 'commander';
import { defineCommand, type CommandContext } from '../command.js';
import { withCase } from '../with-case.js';
import { collectAzureCommand } from './collect-azure.js';
import { list, positive, safe, str, summaryEnd } from './collect-flags.js';
import { collectGcpCommand } from './collect-gcp.js';
import { collectOktaCommand } from './collect-okta.js';

async function collectAwsHandler(opts: Record<string, unknown>, ctx: CommandContext): Promise<number> {
  const { collectAws, outcomeOf } = await import('../../collect/aws/collect.js');
  const { filtersFromFlags } = await import('../../collect/aws/filters.js');
  return withCase(ctx, { access: 'write', create: true }, async (kase) => {
    const s = await collectAws(
      kase,
      {
        since: str(opts.since) ?? '24h',
        until: str(opts.until),
        regions: list(opts.region),
        allRegions: opts.allRegions === true,
        filters: filtersFromFlags({ actor: str(opts.actor), accessKey: str(opts.accessKey), action: str(opts.action), service: str(opts.service), resource: str(opts.resource), ip: str(opts.ip) }),
        lake: str(opts.lake),
        query: str(opts.query),
        s3: str(opts.s3),
        bedrockLogs: list(opts.bedrockLogs),
        overlap: str(opts.overlap) ?? '15m',
        context: opts.context !== false,
        contextOnly: opts.contextOnly === true,
        profile: str(opts.profile),
        roleArn: str(opts.roleArn),
        externalId: str(opts.externalId),
        rate: positive('--rate', opts.rate, 2),
        maxRetries: Math.floor(positive('--max-retries', opts.maxRetries ?? '8', 8)),
      },
      ctx.io,
      { env: ctx.env, signal: ctx.signal, now: ctx.now },
    );
    const o = outcomeOf(s);
    if (ctx.io.json) {
      ctx.io.outJson({
        run_id: s.run_id,
        api: s.api,
        caller: s.caller.arn,
        account: s.account,
        window: s.window,
        regions: s.regions,
        filters: s.filters,
        events: s.events,
        duplicates: s.duplicates,
        filtered_out: s.filtered_out,
        quarantined: s.quarantined,
        pages: s.pages,
        throttled: s.throttled,
        retried: s.retried,
        failed_regions: s.failed_regions,
        interrupted: s.interrupted,
        per_region: s.results.map((r) => ({ region: r.region, status: r.status, events: r.events, duplicates: r.duplicates, pages: r.pages, elapsed_ms: r.elapsed_ms, ...(r.error ? { error: r.error } : {}) })),
        context: s.context?.map((c) => ({ region: c.region, status: c.status, counts: c.counts, pages: c.pages })) ?? null,
        exposed: s.exposed,
        ...(s.s3 ? { s3: s.s3 } : {}),
        custody_head: s.custody_head,
        exit_code: o.code,
      });
    } else {
      ctx.io.out(`case      ${kase.dir}`);
      ctx.io.out(`caller    ${safe(s.caller.arn)} (account ${s.account})`);
      ctx.io.out(`source    ${s.api}  ${s.window.since} .. ${s.window.until}`);
      for (const r of s.results) {
        const rate = r.elapsed_ms > 0 ? ` ${(((r.events + r.duplicates + r.filtered_out) * 1000) / r.elapsed_ms).toFixed(0)} events/s` : '';
        ctx.io.out(`  ${safe(r.region).padEnd(16)} ${r.status.padEnd(11)} ${r.events} new, ${r.duplicates} duplicate, ${r.pages} pages${r.filtered_out > 0 ? `, ${r.filtered_out} filtered out` : ''}${rate}`);
        if (r.error) ctx.io.out(`  ${' '.repeat(16)} ${safe(r.error.message)}`);
      }
      ctx.io.out(`events    ${s.events} new, ${s.duplicates} duplicate, ${s.quarantined} quarantined, ${s.pages} pages (${s.throttled} throttled retries)`);
      if (s.s3) ctx.io.out(`files     ${s.s3.objects} read, ${s.s3.skipped_already_stored} already in the case; digests: ${s.s3.validated} valid, ${s.s3.digest_mismatches.length} MISMATCH, ${s.s3.unvalidated} not covered`);
      for (const c of s.context ?? []) {
        const parts = Object.entries(c.counts).map(([k, v]) => `${v} ${k}`);
        ctx.io.out(`context   ${c.region}: ${parts.join(', ') || 'nothing'}${c.status !== 'ok' ? ` (${c.status}: ${c.errors.map((e) => safe(e.message)).join('; ')})` : ''}`);
      }
      if (s.context) {
        if (s.exposed.length === 0) ctx.io.out('exposure  no instance has a public address with ingress open to the internet');
        for (const x of s.exposed) ctx.io.out(`EXPOSED   ${x.instance_id} (${x.region}) ${x.public_ips.join(', ')}: ${x.open.join('; ')}`);
      }
      if (s.failed_regions.length > 0 && o.code !== 4) ctx.io.out(`partial   failed: ${s.failed_regions.join(', ')} (the others were collected; run again to retry)`);
      summaryEnd((l) => ctx.io.out(l), s);
    }
    if (o.error) throw o.error;
    return o.code;
  });
}

/** `irctl collect aws`: CloudTrail (LookupEvents, Lake, S3) and EC2 context into the case. */
const collectAwsCommand = defineCommand({
  name: 'aws',
  description: 'collect CloudTrail events (LookupEvents, CloudTrail Lake or S3-exported trails), Bedrock invocation logs (CloudWatch Logs) and EC2 context from AWS',
  configure: (cmd) =>
    void cmd
      .option('--since <time>', 'start of the window: 30m, 6h, 2d, or an ISO 8601 time (UTC when no offset)', '24h')
      .option('--until <time>', 'end of the window (default: now)')
      .option('--region <regions>', 'comma-separated regions (default: $AWS_REGION)')
      .option('--all-regions', "every region enabled for the account (EC2 DescribeRegions)")
      .option('--actor <who>', 'only events by this IAM user name or role session name (sent to LookupEvents), principal or role ARN, or access key (an ARN is matched on arrival)')
      .option('--access-key <id>', 'only events made with this access key id')
      .option('--action <name>', 'only this API call, e.g. CreateAccessKey; * wildcards are matched on arrival (e.g. "Delete*")')
      .option('--service <name>', 'only this service: iam, s3, ... (or the event source, iam.amazonaws.com)')
      .option('--resource <name>', 'only events naming this resource (name or ARN)')
      .option('--ip <addr>', 'only events from this source IP address (LookupEvents cannot filter by IP: matched on arrival)')
      .option('--lake <event-data-store>', 'query a CloudTrail Lake event data store (id or ARN) instead of LookupEvents')
      .option('--query <sql>', 'with --lake: your own SQL (must select eventJson to store events)')
      .option('--s3 <url>', 'read a trail\'s log files from s3://bucket/prefix (AWSLogs layout, organization trails too)')
      .option('--bedrock-logs <log-groups>', 'read Bedrock model invocation logs from these CloudWatch Logs log groups (comma-separated names or ARNs) instead of CloudTrail')
      .option('--overlap <duration>', 're-scan this much before the previous run for late-delivered events', '15m')
      .option('--no-context', 'skip the EC2 context snapshot')
      .option('--context-only', 'only snapshot EC2 context (instances, security groups, ENIs, volumes, EIPs, instance profiles)')
      .option('--profile <name>', 'AWS named profile (shared config/credentials files, SSO)')
      .option('--role-arn <arn>', 'assume this role for the collection (e.g. a read-only IR role in the affected account)')
      .option('--external-id <id>', 'external id for --role-arn')
      .addOption(new Option('--rate <n>', 'requests per second per region (LookupEvents allows 2)').default('2'))
      .addOption(new Option('--max-retries <n>', 'retries per call after throttling, 5xx or network errors').default('8')),
  examples: [
    'irctl collect aws --since 6h --region us-east-1,eu-west-1',
    'irctl collect aws --since 2d --all-regions --access-key AKIAEXAMPLE',
    'irctl collect aws --since 30d --lake arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-ID',
    'irctl collect aws --since 2026-11-01 --until 2026-11-03 --s3 s3://org-trail-bucket/prefix',
    'irctl --json collect aws --since 6h --region us-east-1 --role-arn arn:aws:iam::111122223333:role/IRReadOnly',
    'irctl collect aws --since 1d --region us-east-1 --service iam --action "Create*" --ip 203.0.113.7',
    'irctl collect aws --since 6h --region us-east-1 --bedrock-logs /aws/bedrock/modelinvocations',
  ],
  deprecatedOptions: [
    { flags: '--user <name>', use: '--actor' },
    { flags: '--event-name <name>', use: '--action' },
    { flags: '--event-source <source>', use: '--service' },
    { flags: '--resource-name <name>', use: '--resource' },
  ],
  handler: (_args, opts, ctx) => collectAwsHandler(opts, ctx),
});

/** `irctl collect`: group of collectors, one subcommand per provider. */
export const collectCommand = defineCommand({
  name: 'collect',
  description: 'collect logs and context from cloud APIs into the case',
  examples: ['irctl collect aws --since 6h --region us-east-1', 'irctl collect aws --since 2d --all-regions --access-key AKIAEXAMPLE', 'irctl collect azure --since 6h --subscription <sub-id>', 'irctl collect gcp --project prod-123 --since 6h', 'irctl collect okta --org https://example.okta.com --since 1d'],
  subcommands: [collectAwsCommand, collectAzureCommand, collectGcpCommand, collectOktaCommand],
});
