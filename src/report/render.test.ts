import { describe, expect, it } from 'vitest';
import { h, renderHtml, timelineSvg } from './html.js';
import { md, renderMarkdown } from './markdown.js';
import type { ReportModel } from './model.js';

const hostile = 'evil</td><script>alert(1)</script> | `x` \u001b[31m [link](http://x)';

function model(): ReportModel {
  return {
    title: `Incident report: T-1 ${hostile}`,
    scope: { kind: 'threat', threat_id: 'T-1' },
    as_of: '2026-11-21T12:00:00.000Z',
    incident_name: null,
    threat: { id: 'T-1', title: hostile, severity: 'high', priority: 50, first_seen: 'a', last_seen: 'b', entities: [{ kind: 'ip', value: hostile }], techniques: [], tactics: [], context_notes: [] },
    threats: [],
    detections: [],
    verdict: { verdict: 'security_test', confidence: 0.8, decided_by: 'machine', who: 'deterministic', time: 't', reason: hostile },
    verdict_history: [],
    summary: null,
    rationale: [],
    layers: [{ layer: 'control_plane', events: 2 }],
    events_total: 2,
    span: { first: 'a', last: 'b' },
    timeline: [
      { time: 't1', time_ms: 1_000, event_id: 'e1', layer: 'control_plane', provider: 'aws', action: hostile, actor: hostile, src_ip: null, outcome: 'success', detections: ['rule'], raw_sha256: 'f'.repeat(64) },
    ],
    timeline_omitted: 1,
    chart: [
      { t: 1_000, layer: 'control_plane', flagged: true, outcome: 'success' },
      { t: 90_000, layer: 'ai', flagged: false, outcome: 'failure' },
    ],
    blast_radius: { principals: [hostile], access_keys: [], source_ips: [], accounts: [], regions: [], resources_changed: [], crown_jewels_touched: [], truncated: false },
    actions: [],
    open_questions: [],
    evidence_index: [],
    clocks: null,
    custody_head: { seq: 1, hash: '0'.repeat(64) },
  };
}

describe('escaping attacker-controlled text', () => {
  it('HTML: no markup, no control characters survive', () => {
    const html = renderHtml(model());
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('</td><script');
    expect(html).toContain('evil&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('\u001b');
    expect(h('"\'&')).toBe('&quot;&#39;&amp;');
  });

  it('Markdown: table cells cannot be broken, links and HTML do not render', () => {
    const text = renderMarkdown(model());
    expect(text).not.toContain('\u001b');
    expect(md(hostile)).toBe('evil\\</td\\>\\<script\\>alert(1)\\</script\\> \\| \\`x\\`  \\[31m \\[link\\](http://x)');
    for (const line of text.split('\n').filter((l) => l.startsWith('| t1 '))) expect(line.split(/(?<!\\)\|/).length).toBe(9);
  });
});

describe('timeline chart', () => {
  it('draws one lane per layer and a flagged dot', () => {
    const svg = timelineSvg(model().chart);
    expect(svg).toContain('aria-label="attack timeline by layer"');
    expect((svg.match(/class="hit"/g) ?? []).length).toBe(1);
    expect((svg.match(/class="fail"/g) ?? []).length).toBe(1);
    for (const lane of ['control_plane', 'identity', 'workload', 'ai', 'network', 'context']) expect(svg).toContain(`>${lane}</text>`);
  });

  it('says when there is nothing to draw', () => {
    expect(timelineSvg([])).toContain('no events in scope');
  });
});
