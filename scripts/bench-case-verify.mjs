#!/usr/bin/env node
// Benchmark of `irctl case verify` on a large synthetic case (issue 11: re-normalizing 1,000,000 events in case
// verify within 60 s on this machine). Times the built CLI in a child process (/usr/bin/time -v: wall, CPU, peak RSS)
// with the host's CPU steal; asserts nothing.
//
// Usage: npm run build && npm run bench:case-verify [-- --events 1000000] [--out bench-out/export] [--fresh]
//        [--threads 0|1] [--json]
//
// The case is bench:export's (scripts/lib/cloudtrail-bench-case.mjs), generated once and shared with it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureBenchCase } from './lib/cloudtrail-bench-case.mjs';
import { stealMeter } from './lib/cpu-steal.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const EVENTS = Number(arg('--events', '1000000'));
const OUT = resolve(arg('--out', join(ROOT, 'bench-out', 'export')));
const THREADS = arg('--threads', undefined);
const BUDGET_MS = 60_000;

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('bench-case-verify: dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const caseDir = await ensureBenchCase({ events: EVENTS, out: OUT, fresh: args.includes('--fresh') });

const steal = stealMeter();
const t0 = performance.now();
const env = { ...process.env, ...(THREADS === undefined ? {} : { IRCTL_VERIFY_THREADS: THREADS }) };
const r = spawnSync('/usr/bin/time', ['-v', process.execPath, join(ROOT, 'bin', 'irctl'), '--case', caseDir, 'case', 'verify', '--json'], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
const ms = performance.now() - t0;
const num = (re) => {
  const m = re.exec(r.stderr ?? '');
  return m ? Number(m[1]) : null;
};
const report = JSON.parse((r.stdout ?? '').trim().split('\n').pop() || '{}');
const user = num(/User time \(seconds\): ([\d.]+)/);
const sys = num(/System time \(seconds\): ([\d.]+)/);
const rssKb = num(/Maximum resident set size \(kbytes\): (\d+)/);
const res = {
  events: EVENTS,
  events_checked: report.events_checked ?? null,
  raw_records: report.raw_records ?? null,
  exit_code: r.status,
  verify_s: +(ms / 1000).toFixed(1),
  cpu_s: user === null || sys === null ? null : +(user + sys).toFixed(1),
  peak_rss_mb: rssKb === null ? null : Math.round(rssKb / 1024),
  threads: THREADS ?? 'auto',
  cpu_steal_pct: steal.stop(),
  load_average_1m: +loadavg()[0].toFixed(1),
  cores: cpus().length,
  budget_s: BUDGET_MS / 1000,
  within_budget: ms <= BUDGET_MS,
};
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(res)}\n`);
else {
  process.stdout.write(`events            ${EVENTS.toLocaleString('en-US')} (${res.events_checked} re-normalized, ${res.raw_records} raw records re-hashed), exit ${res.exit_code}\n`);
  process.stdout.write(`case verify       ${res.verify_s} s wall, ${res.cpu_s} s CPU, peak RSS ${res.peak_rss_mb} MB (threads: ${res.threads})\n`);
  process.stdout.write(`machine           ${res.cores} cores, load average ${res.load_average_1m}, CPU steal ${res.cpu_steal_pct === null ? 'n/a' : `${res.cpu_steal_pct}%`}\n`);
  process.stdout.write(`budget            ${res.verify_s} s of ${res.budget_s} s (${((ms / BUDGET_MS) * 100).toFixed(0)}%)\n`);
}
if (r.status !== 0) process.stderr.write(`case verify exited ${r.status}:\n${(r.stdout ?? '').slice(0, 2000)}\n${(r.stderr ?? '').slice(-2000)}\n`);
