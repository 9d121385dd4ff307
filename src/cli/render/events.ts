import { Chalk } from 'chalk';
import type { EventRow, FullEventRow } from '../../store/query-repo.js';
import { renderTable } from './table.js';

/** The JSON shape of one event in `irctl events --json` (and the interface acceptance checks use). */
export function eventJson(e: EventRow): Record<string, unknown> {
  return {
    id: e.id,
    time: e.time,
    provider: e.provider,
    layer: e.layer,
    class: e.class,
    account: e.account,
    region: e.region,
    service: e.service,
    action: e.action,
    actor: e.actor,
    actor_type: e.actor_type,
    access_key: e.access_key,
    session: e.session,
    src_ip: e.src_ip ?? e.src_host,
    user_agent: e.user_agent,
    outcome: e.outcome,
    error_code: e.error_code,
    resources: JSON.parse(e.resources) as unknown,
    raw_sha256: e.raw_sha256,
  };
}

/** Parse a JSON column read from the raw record (kept as text when it is not JSON). */
function jsonOrText(v: string | null): unknown {
  if (v === null) return null;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** `events --json --full`: the event plus what only its raw record holds. */
export function fullEventJson(e: FullEventRow): Record<string, unknown> {
  return {
    ...eventJson(e),
    data_type: e.data_type,
    request_parameters: jsonOrText(e.request_parameters),
    response_elements: jsonOrText(e.response_elements),
    error_message: jsonOrText(e.error_message),
  };
}

const LAYER_COLOURS: Record<string, (c: InstanceType<typeof Chalk>, s: string) => string> = {
  control_plane: (c, s) => c.cyan(s),
  identity: (c, s) => c.magenta(s),
  workload: (c, s) => c.yellow(s),
  ai: (c, s) => c.green(s),
  network: (c, s) => c.blue(s),
  context: (c, s) => c.gray(s),
};

/** Human table of events. */
export function renderEventTable(rows: readonly EventRow[], color: boolean): string[] {
  const c = new Chalk({ level: color ? 1 : 0 });
  return renderTable(
    rows,
    [
      { header: 'TIME (UTC)', get: (e) => e.time },
      { header: 'LAYER', get: (e) => e.layer },
      { header: 'ACTION', get: (e) => `${e.service ?? ''}:${e.action}`, max: 48 },
      { header: 'ACTOR', get: (e) => e.actor ?? '-', max: 60 },
      { header: 'SOURCE', get: (e) => e.src_ip ?? e.src_host ?? '-', max: 40 },
      { header: 'OUTCOME', get: (e) => (e.error_code ? `${e.outcome} (${e.error_code})` : e.outcome), max: 40 },
      { header: 'REGION', get: (e) => e.region ?? '-' },
    ],
    (e, line) => (e.outcome === 'failure' ? c.red(line) : (LAYER_COLOURS[e.layer]?.(c, line) ?? line)),
  );
}
