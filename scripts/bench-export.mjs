#!/usr/bin/env node
// Benchmark of `irctl export --all` + `irctl verify` on a large synthetic case (issue 6 "Testing and performance":
// export + verify of 1,000,000 events <= 60 s together on this machine). Prints wall time, throughput, bundle size
// and peak RSS of each step (child processes of the built CLI, measured with /usr/bin/time -v); asserts nothing.
//
// Usage: npm run build && npm run bench:export [-- --events 1000000] [--out bench-out/export] [--fresh] [--json]
//
// The case is generated once (scripts/lib/cloudtrail-bench-case.mjs: deterministic CloudTrail records of ~1.2 KB
// written straight into the store through IngestWriter with the same normalizer as `irctl import`, then the entity
// index) and reused while --events is unchanged; each run copies nothing and appends only custody entries
// (keys.generate once, export.bundle each run).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
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
const FRESH = args.includes('--fresh');
const JSON_OUT = args.includes('--json');
const BUDGET_MS = 60_000;

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('bench-export: dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const caseDir = await ensureBenchCase({ events: EVENTS, out: OUT, fresh: FRESH });

/** Run the built CLI under /usr/bin/time -v; returns wall ms, exit code, peak RSS MB and stdout. */
function timed(cliArgs) {
  const steal = stealMeter();
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, join(ROOT, 'bin', 'irctl'), ...cliArgs], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr ?? '');
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr ?? '');
  const cpuS = user && sys ? Number(user[1]) + Number(sys[1]) : null;
  return { ms, code: r.status, rssMb: rss ? Math.round(Number(rss[1]) / 1024) : null, cpuS, stealPct: steal.stop(), stdout: r.stdout, stderr: r.stderr };
}

const bundle = join(OUT, `bench-${EVENTS}.bundle.tar.gz`);
rmSync(bundle, { force: true });
const exp = timed(['--case', caseDir, 'export', '--all', '--out', bundle, '--json']);
if (exp.code !== 0) {
  process.stderr.write(`export failed (exit ${exp.code}):\n${exp.stderr}\n`);
  process.exit(1);
}
const ver = timed(['--case', caseDir, 'verify', bundle, '--json']);
const verJson = JSON.parse(ver.stdout.trim().split('\n').pop() ?? '{}');
const size = statSync(bundle).size;
const total = exp.ms + ver.ms;
const res = {
  events: EVENTS,
  export_s: +(exp.ms / 1000).toFixed(1),
  export_events_per_s: Math.round(EVENTS / (exp.ms / 1000)),
  export_peak_rss_mb: exp.rssMb,
  export_cpu_s: exp.cpuS === null ? null : +exp.cpuS.toFixed(1),
  verify_s: +(ver.ms / 1000).toFixed(1),
  verify_ok: verJson.ok === true && ver.code === 0,
  verify_peak_rss_mb: ver.rssMb,
  verify_cpu_s: ver.cpuS === null ? null : +ver.cpuS.toFixed(1),
  load_average_1m: +(await import('node:os')).loadavg()[0].toFixed(1),
  export_cpu_steal_pct: exp.stealPct,
  verify_cpu_steal_pct: ver.stealPct,
  total_s: +(total / 1000).toFixed(1),
  budget_s: BUDGET_MS / 1000,
  within_budget: total <= BUDGET_MS,
  bundle_mb: +(size / 1048576).toFixed(1),
  cores: (await import('node:os')).cpus().length,
};
if (JSON_OUT) process.stdout.write(`${JSON.stringify(res)}\n`);
else {
  process.stdout.write(`events            ${EVENTS.toLocaleString('en-US')}\n`);
  process.stdout.write(`export --all      ${res.export_s} s wall, ${res.export_cpu_s} s CPU (${res.export_events_per_s.toLocaleString('en-US')} events/s), peak RSS ${res.export_peak_rss_mb} MB\n`);
  process.stdout.write(`verify            ${res.verify_s} s wall, ${res.verify_cpu_s} s CPU (${res.verify_ok ? 'OK' : 'FAILED'}), peak RSS ${res.verify_peak_rss_mb} MB\n`);
  const stolen = (p) => (p === null ? 'n/a' : `${p}%`);
  process.stdout.write(`machine           ${res.cores} cores, load average ${res.load_average_1m}; CPU steal during export ${stolen(res.export_cpu_steal_pct)}, verify ${stolen(res.verify_cpu_steal_pct)} (wall time stretches when other work or other VMs share the cores)\n`);
  process.stdout.write(`total             ${res.total_s} s of a ${res.budget_s} s budget (${(total / BUDGET_MS * 100).toFixed(0)}%)\n`);
  process.stdout.write(`bundle            ${res.bundle_mb} MB (${bundle})\n`);
}
if (!res.verify_ok) process.stderr.write(`verify did not pass:\n${ver.stdout}\n`);
