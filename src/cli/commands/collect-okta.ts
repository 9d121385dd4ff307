/**
 * `irctl collect okta`: the Okta System Log into the case. The credential (`OKTA_API_TOKEN`, or an OAuth service app's
 * `OKTA_CLIENT_ID` + `OKTA_PRIVATE_KEY_FILE`) comes from the environment only (never a flag: flags land in shell
 * history and process lists).
 */
import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { defineCommand, type CommandContext } from '../command.js';
import { sanitize } from '../render/table.js';
import { withCase } from '../with-case.js';
import { str, summaryEnd } from './collect-flags.js';

async function collectOktaHandler(opts: Record<string, unknown>, ctx: CommandContext): Promise<number> {
  const org = str(opts.org);
  if (org === undefined) throw new UsageError('collect okta needs --org', { hint: 'e.g. irctl collect okta --org https://acme.okta.com --since 24h (credential from OKTA_API_TOKEN, or OKTA_CLIENT_ID + OKTA_PRIVATE_KEY_FILE)' });
  const retries = Number(opts.maxRetries ?? '8');
  if (!Number.isInteger(retries) || retries < 0) throw new UsageError(`--max-retries ${JSON.stringify(opts.maxRetries)} is not a whole number`);
  const { collectOkta, oktaOutcome } = await import('../../collect/okta/collect.js');
  return withCase(ctx, { access: 'write', create: true }, async (kase) => {
    const s = await collectOkta(kase, { org, since: str(opts.since) ?? '24h', until: str(opts.until), overlap: str(opts.overlap) ?? '5m', maxRetries: retries }, ctx.io, {
      env: ctx.env,
      signal: ctx.signal,
      now: ctx.now,
    });
    const o = oktaOutcome(s);
    if (ctx.io.json) {
      ctx.io.outJson({
        run_id: s.run_id,
        api: s.api,
        org: s.org,
        window: s.window,
        status: s.status,
        events: s.events,
        duplicates: s.duplicates,
        quarantined: s.quarantined,
        conflicts: s.conflicts,
        pages: s.pages,
        throttled: s.throttled,
        paced: s.paced,
        retried: s.retried,
        queried: s.queried,
        interrupted: s.interrupted,
        elapsed_ms: s.elapsed_ms,
        ...(s.error ? { error: s.error } : {}),
        custody_head: s.custody_head,
        exit_code: o.code,
      });
    } else {
      const rate = s.elapsed_ms > 0 ? ` ${(((s.events + s.duplicates) * 1000) / s.elapsed_ms).toFixed(0)} events/s` : '';
      ctx.io.out(`case      ${kase.dir}`);
      ctx.io.out(`source    okta ${sanitize(s.org)} System Log  ${s.window.since} .. ${s.window.until}`);
      ctx.io.out(`events    ${s.events} new, ${s.duplicates} duplicate, ${s.quarantined} quarantined, ${s.pages} pages (${s.throttled} rate-limited waits, ${s.paced} paced)${rate}`);
      if (s.conflicts > 0) ctx.io.out(`conflicts ${s.conflicts} event(s) reuse a stored uuid with other content: kept as separate events (\`irctl case verify\` lists them)`);
      if (s.error && o.code !== 4) ctx.io.out(`error     ${sanitize(s.error.message)}`);
      if (s.status === 'failed' && s.pages > 0) ctx.io.out(`partial   ${s.pages} page(s) were saved before the failure; run the same command again to resume`);
      summaryEnd((l) => ctx.io.out(l), s);
    }
    if (o.error) throw o.error;
    return o.code;
  });
}

/** `irctl collect okta`. */
export const collectOktaCommand = defineCommand({
  name: 'okta',
  description: 'collect the Okta System Log (/api/v1/logs) of an org; OKTA_API_TOKEN, or a service app (OKTA_CLIENT_ID + OKTA_PRIVATE_KEY_FILE)',
  configure: (cmd) =>
    void cmd
      .option('--org <url>', 'the Okta org, e.g. https://acme.okta.com')
      .option('--since <time>', 'start of the window: 30m, 6h, 2d, or an ISO 8601 time (UTC when no offset); the System Log keeps 90 days', '24h')
      .option('--until <time>', 'end of the window (default: now)')
      .option('--overlap <duration>', 're-scan this much before the previous run for late events', '5m')
      .addOption(new Option('--max-retries <n>', 'retries per page after 429 (waiting for X-Rate-Limit-Reset), 5xx or network errors').default('8')),
  examples: ['OKTA_API_TOKEN=... irctl collect okta --org https://acme.okta.com --since 2d', 'OKTA_CLIENT_ID=0oa... OKTA_PRIVATE_KEY_FILE=key.pem irctl collect okta --org acme.okta.com --since 6h', 'irctl --json collect okta --org acme.okta.com --since 2026-11-01 --until 2026-11-03'],
  handler: (_args, opts, ctx) => collectOktaHandler(opts, ctx),
});
