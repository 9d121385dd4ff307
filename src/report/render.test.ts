import { describe, expect, it } from 'vitest';
import { anchorId } from './anchors.js';
import { chartTicks, h, prose, renderHtml, timelineSvg } from './html.js';
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
      { t: 1_000, layer: 'control_plane', flagged: true, outcome: 'success', id: 'e1', action: hostile, actor: hostile },
      { t: 90_000, layer: 'ai', flagged: false, outcome: 'failure', id: 'e2', action: 'InvokeModel', actor: null },
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
  it('has lanes only for the layers present, a flagged dot, and a hover title on every dot', () => {
    const svg = timelineSvg(model().chart);
    expect(svg).toContain('aria-label="attack timeline by layer"');
    expect((svg.match(/class="hit"/g) ?? []).length).toBe(1);
    expect((svg.match(/class="fail"/g) ?? []).length).toBe(1);
    // one labelled lane per layer present, in lane order, with its event count
    expect([...svg.matchAll(/class="lbl">([^<]+)</g)].map((x) => x[1])).toEqual(['Control plane (1)', 'AI (1)']);
    expect([...svg.matchAll(/data-layer="([^"]+)"/g)].map((x) => x[1])).toEqual(['control_plane', 'ai']);
    expect((svg.match(/<circle [^>]*><title>[^<]+<\/title><\/circle>/g) ?? []).length).toBe(2);
    expect(svg).toContain('<title>1970-01-01 00:01:30.000 UTC · ai · InvokeModel · unknown actor · failure</title>');
    expect(svg).not.toContain('<script');
  });

  it('links a dot to its timeline line when that line is listed', () => {
    const svg = timelineSvg(model().chart, new Set(['e1']));
    expect(svg).toContain(`<a href="#${anchorId('tl', 'e1')}"><circle`);
    expect((svg.match(/<a href/g) ?? []).length).toBe(1);
  });

  it('labels round UTC times, with the date on the first tick and wherever the day changes', () => {
    const t0 = Date.parse('2026-11-20T22:40:00Z');
    const ticks = chartTicks(t0, Date.parse('2026-11-21T03:10:00Z'));
    expect(ticks.map((k) => k.time)).toEqual(['23:00', '00:00', '01:00', '02:00', '03:00']);
    expect(ticks.map((k) => k.date)).toEqual(['2026-11-20', '2026-11-21', null, null, null]);
    const days = chartTicks(t0, t0 + 5 * 86_400_000);
    expect(days.map((k) => k.date)).toEqual(['2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25']);
    expect(days.every((k) => k.time === null)).toBe(true);
    expect(chartTicks(t0, t0)).toEqual([{ t: t0, time: '22:40:00', date: '2026-11-20' }]);
  });

  it('insets the first and last dots so they are not clipped', () => {
    const svg = timelineSvg(model().chart);
    const xs = [...svg.matchAll(/<circle cx="([\d.]+)"[^>]* r="(\d)"/g)].map((x) => [Number(x[1]), Number(x[2])] as const);
    for (const [cx, r] of xs) {
      expect(cx - r).toBeGreaterThan(110);
      expect(cx + r).toBeLessThan(940);
    }
  });

  it('says when there is nothing to draw', () => {
    expect(timelineSvg([])).toContain('no events in scope');
  });
});

describe('cross-links', () => {
  it('anchor names are injective and safe whatever the id holds', () => {
    expect(anchorId('ap', 'ctx:crown_jewels[0]')).toBe('ap-ctx_3acrown_5fjewels_5b0_5d');
    expect(anchorId('ap', 'a_5f')).not.toBe(anchorId('ap', 'a__5f'));
    expect(anchorId('tl', '"><img src=x onerror=alert(1)>')).toMatch(/^tl-[A-Za-z0-9._-]+$/);
  });

  it('each cited id links to its appendix row, which links to the timeline line', () => {
    const m = model();
    m.rationale = [{ claim: 'c', evidence_ids: ['e1', 'e1', 'det:abc', 'gone'] }];
    m.detections = [{ id: 'det:abc', title: 'r', rule_id: 'r', severity: 'high', first_seen: 't1', summary: 's', techniques: [], events: 1, event_ids: ['e1'] }];
    m.evidence_index = [
      { id: 'det:abc', kind: 'detection', time: 't1', detail: 'r (high, 1 event)', raw_sha256: null, cited_by: 'rationale', event_ids: ['e1'] },
      { id: 'e1', kind: 'event', time: 't1', detail: 'x', raw_sha256: 'f'.repeat(64), cited_by: 'rationale', event_ids: ['e1'] },
    ];
    const html = renderHtml(m);
    const ids = new Set([...html.matchAll(/ id="([^"]+)"/g)].map((x) => x[1]));
    const hrefs = [...html.matchAll(/href="#([^"]+)"/g)].map((x) => x[1]!);
    expect(hrefs.length).toBeGreaterThan(4);
    for (const x of hrefs) expect(ids.has(x), x).toBe(true);
    expect(html).toContain(`<a class="mono" href="#${anchorId('ap', 'e1')}">e1</a>`);
    expect(html.match(new RegExp(`href="#${anchorId('ap', 'e1')}">e1<`, 'g'))).toHaveLength(1); // repeated cite shown once
    expect(html).toContain('<span class="mono">gone</span>'); // no appendix row: no dead link
    const text = renderMarkdown(m);
    expect(text).toContain(`[e1](#${anchorId('ap', 'e1')})`);
    expect(text).toContain(`<a id="${anchorId('ap', 'e1')}"></a>e1`);
    expect(text).toContain(`[timeline](#${anchorId('tl', 'e1')})`);
    expect(text).toContain(`<a id="${anchorId('tl', 'e1')}"></a>t1`);
  });
});

describe('running text', () => {
  it('keeps timestamps, ARNs and IPs on one line, escaped, and stays fast on long hostile text', () => {
    expect(prose('by arn:aws:iam::111122223333:user/x. from 203.0.113.77 and 2001:db8::1 at 2026-11-21T02:13:05.000Z <b>')).toBe(
      'by <span class="v">arn:aws:iam::111122223333:user/x</span>. from <span class="v">203.0.113.77</span> and <span class="v">2001:db8::1</span> at <span class="v">2026-11-21T02:13:05.000Z</span> &lt;b&gt;',
    );
    expect(prose('at 02:13:05')).toBe('at 02:13:05');
    const t0 = Date.now();
    prose(`arn:a:${'.'.repeat(200_000)} ${'arn:a:x'.repeat(20_000)}`);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
