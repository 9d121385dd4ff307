/**
 * Collection benchmark (issue 3): `npm run bench:collect`.
 *
 * Runs `irctl collect aws` (in process, real AWS SDK) against the fake CloudTrail endpoint enforcing the real
 * LookupEvents limit (2 requests/s per region, token bucket) with the real page size (50 events), for 1, 2 and 4
 * regions in parallel, and prints events/s per region against the API's maximum of 100 events/s per region
 * (target >= 90%), and how the total scales with regions (target: near-linear).
 * Environment: BENCH_PAGES (pages per region, default 20), BENCH_REGIONS (default "1,2,4"), BENCH_LATENCY_MS
 * (server latency per request, default 30).
 */
import { expect, it } from 'vitest';
import { FakeCloudTrail, makeEvent } from '../test/fakes/fake-cloudtrail.js';
import { runIrctl, tempDir } from '../test/helpers/run-irctl.js';

const ALL = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-northeast-1', 'sa-east-1', 'ca-central-1'];
const PAGES = Number(process.env.BENCH_PAGES ?? 20);
const COUNTS = (process.env.BENCH_REGIONS ?? '1,2,4').split(',').map(Number);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 30);

it('collection rate per region against the enforced LookupEvents limit', async () => {
  const rows: Array<{ regions: number; events: number; seconds: number; collectSeconds: number; perRegion: number[]; throttled: number }> = [];
  for (const n of COUNTS) {
    const regions = ALL.slice(0, n);
    const fake = new FakeCloudTrail({ pageSize: 50, ratePerSec: 2, latencyMs: LATENCY, enabledRegions: regions });
    const url = await fake.start();
    const now = Date.now();
    const per = PAGES * 50;
    for (const r of regions) fake.add(r, Array.from({ length: per }, (_, i) => makeEvent({ region: r, time: now - 3_600_000 + Math.floor((i * 3_500_000) / per) })));
    const { dir, cleanup } = tempDir('irctl-bench-collect-');
    const t0 = performance.now();
    const res = await runIrctl(['--case', dir, '--json', 'collect', 'aws', '--no-context', '--since', '2h', '--region', regions.join(',')], {
      env: { AWS_ACCESS_KEY_ID: 'AKIDBENCH', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: url, AWS_REGION: regions[0] },
    });
    const seconds = (performance.now() - t0) / 1000;
    await fake.close();
    cleanup();
    const s = res.json<{ events: number; throttled: number; per_region: Array<{ events: number; elapsed_ms: number }> }>()[0]!;
    expect(s.events).toBe(per * n);
    rows.push({ regions: n, events: s.events, seconds, collectSeconds: Math.max(...s.per_region.map((p) => p.elapsed_ms)) / 1000, perRegion: s.per_region.map((p) => (p.events * 1000) / p.elapsed_ms), throttled: s.throttled });
  }
  const out: string[] = ['', `collect benchmark: ${PAGES} pages x 50 events per region, fake enforces 2 req/s/region, ${LATENCY} ms latency`, ''];
  out.push('regions  events  wall s  collect s  total ev/s  per-region ev/s (min..max)  % of 100 ev/s  throttled');
  // Throughput over the collection itself (slowest region), so that SDK load and the STS call do not skew scaling.
  const base = rows[0] ? rows[0].events / rows[0].collectSeconds : 1;
  for (const r of rows) {
    const min = Math.min(...r.perRegion);
    const max = Math.max(...r.perRegion);
    out.push(
      `${String(r.regions).padStart(7)}  ${String(r.events).padStart(6)}  ${r.seconds.toFixed(1).padStart(6)}  ${r.collectSeconds.toFixed(1).padStart(9)}  ${(r.events / r.collectSeconds).toFixed(0).padStart(10)}  ${`${min.toFixed(1)}..${max.toFixed(1)}`.padStart(26)}  ${`${min.toFixed(0)}%`.padStart(13)}  ${String(r.throttled).padStart(9)}`,
    );
  }
  out.push('', `scaling: ${rows.map((r) => `${r.regions} region(s) = ${(r.events / r.collectSeconds / base).toFixed(2)}x`).join(', ')}`);
  out.push('(collect s and ev/s exclude start-up (SDK load, STS call); wall s includes it. 20 pages take 19 rate intervals, hence a little over 100%)', '');
  process.stdout.write(`${out.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'collect', pages_per_region: PAGES, latency_ms: LATENCY, results: rows })}\n`);
});
