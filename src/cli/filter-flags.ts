/**
 * The filter flags `events` and `timeline` share (issue 13, "one vocabulary"); `collect aws` has the same names with
 * descriptions that say what the cloud API applies itself. Light at start-up: nothing heavy is imported here.
 */
import type { Command } from 'commander';
import type { EventFilter } from '../store/query-repo.js';
import { UsageError } from '../errors.js';
import { parseTimeArg } from '../util/time.js';

/** Add `--since --until --actor --access-key --ip --action --service --resource` to a command. */
export function addEventFilterOptions(cmd: Command): Command {
  return cmd
    .option('--since <time>', 'from this time: 30m, 6h, 2d, 1w back from now, or ISO 8601 (UTC when no offset)')
    .option('--until <time>', 'up to this time (exclusive), same forms as --since')
    .option('--actor <who>', 'principal ARN, user/role/session name, or access key')
    .option('--access-key <id>', 'access key id (AKIA..., ASIA...)')
    .option('--ip <addr>', 'source IP address')
    .option('--action <name>', 'operation name, * wildcards allowed (e.g. "Delete*")')
    .option('--service <name>', 'service (iam, s3, ec2, ...)')
    .option('--resource <id>', 'resource identifier (ARN)');
}

/** The shared filters from parsed options (time forms checked, --since before --until). */
export function eventFilterOf(opts: Record<string, unknown>, now: Date): EventFilter {
  const str = (k: string): string | undefined => (typeof opts[k] === 'string' ? opts[k] : undefined);
  const since = str('since');
  const until = str('until');
  const f: EventFilter = {
    sinceMs: since === undefined ? undefined : parseTimeArg(since, now, '--since'),
    untilMs: until === undefined ? undefined : parseTimeArg(until, now, '--until'),
    actor: str('actor'),
    accessKey: str('accessKey'),
    srcIp: str('ip'),
    action: str('action'),
    // `--service iam.amazonaws.com` (the form `collect aws --service` also takes) is the service `iam`.
    service: str('service')?.replace(/\.amazonaws\.com$/, ''),
    resource: str('resource'),
  };
  if (f.sinceMs !== undefined && f.untilMs !== undefined && f.sinceMs >= f.untilMs) throw new UsageError('--since must be earlier than --until');
  return f;
}
