import { describe, expect, it } from 'vitest';
import type { EventRow } from '../store/query-repo.js';
import { computeBlastRadius } from './blast-radius.js';
import { entryJson, stripControls, timelineCsv, timelineMarkdown, timesketchLines } from './format.js';
import { toEntries, type Timeline } from './timeline.js';

let n = 0;
function ev(over: Partial<EventRow>): EventRow {
  n++;
  return {
    rowid: n,
    id: `e${n}`,
    time: `2026-11-21T02:00:${String(n).padStart(2, '0')}.000Z`,
    time_ms: Date.parse('2026-11-21T02:00:00Z') + n * 1000,
    provider: 'aws',
    layer: 'control_plane',
    class: 'api_activity',
    account: '111122223333',
    region: 'us-east-1',
    service: 's3',
    action: 'GetObject',
    actor: 'arn:aws:iam::111122223333:user/eve',
    actor_type: 'IAMUser',
    actor_name: 'eve',
    access_key: 'AKIA1',
    session: null,
    assumed_from: null,
    src_ip: '203.0.113.7',
    src_host: null,
    user_agent: 'aws-cli',
    outcome: 'success',
    error_code: null,
    read_only: 1,
    resources: '["arn:aws:s3:::b/k"]',
    raw_sha256: 'x',
    data_type: 'aws:cloudtrail:entry',
    ...over,
  };
}

function timeline(rows: EventRow[], collapse = true): Timeline {
  const stop = rows.find((r) => r.action === 'StopLogging');
  const dets = new Map(stop ? [[stop.id, [{ rule_id: 'r-stop', rule_title: 'Trail stopped', severity: 'high', fingerprint: 'fp' }]]] : []);
  const tac = new Map(stop ? [[stop.id, ['defense-evasion']]] : []);
  return {
    threat: { id: 'T-1', title: 'x', severity: 'high', priority: 70, first_seen: '', last_seen: '', techniques: [], tactics: [], context_notes: [] },
    window: { from: '', to: '', margin_ms: 0 },
    entities: [],
    entries: toEntries(rows, dets, tac, collapse),
    events: rows.length,
    truncated: false,
    blast_radius: computeBlastRadius(rows),
    plan: 'entities',
  };
}

describe('timeline entries and formats', () => {
  const rows = [
    ev({}),
    ev({}),
    ev({}),
    ev({ action: 'StopLogging', service: 'cloudtrail', read_only: 0, resources: '["trail"]' }),
    ev({ action: 'GetObject', outcome: 'failure', error_code: 'AccessDenied', resources: '["arn:aws:s3:::c/k"]' }),
    ev({}),
  ];

  it('collapses bursts of one principal (interleaved events do not split them), keeping detections and failures visible', () => {
    const t = timeline(rows);
    expect(t.entries.map((e) => [e.action, e.count])).toEqual([
      ['GetObject', 4],
      ['StopLogging', 1],
      ['GetObject', 1],
    ]);
    expect(t.entries[2]).toMatchObject({ outcome: 'failure', error_code: 'AccessDenied' });
    const j = entryJson('T-1', t.entries[1]!);
    expect(j).toMatchObject({ time: rows[3]!.time, action: 'StopLogging', layer: 'control_plane', detections: ['r-stop'], tactic: 'defense-evasion' });
    expect(entryJson('T-1', t.entries[0]!).detections).toEqual([]);
    expect(timeline(rows, false).entries).toHaveLength(6);
  });

  it('computes the blast radius: read, written, attempted', () => {
    const b = timeline(rows).blast_radius;
    expect(b.resources_read).toEqual(['arn:aws:s3:::b/k']);
    expect(b.resources_written).toEqual(['trail']);
    expect(b.resources_attempted).toEqual(['arn:aws:s3:::c/k']);
    expect(b.failed_events).toBe(1);
  });

  it('writes Timesketch JSONL with one line per event and the required fields', () => {
    const lines = timesketchLines(timeline(rows, false));
    expect(lines).toHaveLength(6);
    for (const l of lines) {
      expect(typeof l.message).toBe('string');
      expect(l.datetime).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(l.timestamp_desc).toBe('Event Time');
    }
    expect(lines[3]?.message).toContain('Trail stopped');
  });

  it('neutralises attacker-controlled text in CSV and Markdown', () => {
    const evil = [ev({ actor: '=HYPERLINK("http://x")', user_agent: 'a\u001b[31mred', action: 'A|B' })];
    const csv = timelineCsv(timeline(evil));
    expect(csv[1]).toContain(`"'=HYPERLINK(""http://x"")"`);
    const md = timelineMarkdown(timeline(evil)).join('\n');
    expect(md).toContain('A\\|B');
    expect(stripControls('a\u001b[31m')).not.toContain('\u001b');
  });
});
