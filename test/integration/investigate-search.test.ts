/**
 * The `search_events` investigation tool as a responder meets it: `irctl investigate T-n --show --interactive` in a
 * terminal (a pseudo-terminal from util-linux `script`), asking `events ...`. Its answer states the span of every
 * matching event (first and last time of the whole match, not of the rows shown) as a readable date range.
 */
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readableDuration } from '../../src/util/time.js';
import { BIN, fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let top: string;

beforeAll(async () => {
  tmp = tempDir('irctl-search-');
  copyFileSync(fixture('sample-case', 'context.yaml'), join(tmp.dir, 'context.yaml'));
  expect((await runIrctl(['--case', tmp.dir, 'import', fixture('sample-case', 'logs')])).code).toBe(0);
  expect((await runIrctl(['--case', tmp.dir, 'detect'])).code).toBe(0);
  top = (await runIrctl(['--case', tmp.dir, '--json', 'threats', 'list'])).json<{ id: string }>()[0]!.id;
  expect((await runIrctl(['--case', tmp.dir, 'investigate', top, '--offline', '--no-bundle'])).code).toBe(0);
});
afterAll(() => tmp.cleanup());

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Run the built CLI in a pseudo-terminal and type each question once the previous answer is printed (typed input
 * arrives a line at a time, as from a person), then end the input (Ctrl+D).
 */
function askInTerminal(args: string[], questions: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolveRun, reject) => {
    const cmd = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, NO_COLOR: '1', TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let asked = 0;
    const next = (): void => {
      if (asked < questions.length) child.stdin.write(`${questions[asked++]}\n`);
      else child.stdin.end();
    };
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      // A prompt is printed once the help (first) or an answer (then) is out.
      const prompts = out.split('follow-up> ').length - 1;
      if (prompts > asked) next();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? -1, out });
    });
  });
}

describe('search_events through investigate --interactive', () => {
  it('reports the span of all matching events, across days, not of the rows shown', async () => {
    // GIVEN every event of the leaked key's principal, as `irctl events` lists them
    const principal = 'arn:aws:iam::111122223333:user/svc-backup';
    const all = (await runIrctl(['--case', tmp.dir, '--json', 'events', '--actor', principal, '--limit', '100000'])).json<{ time: string }>();
    expect(all.length).toBeGreaterThan(10);
    const times = all.map((e) => e.time).sort();
    const first = times[0]!;
    const last = times.at(-1)!;
    expect(first.slice(0, 10)).not.toBe(last.slice(0, 10)); // the match crosses days
    const fmt = (iso: string): string => iso.replace('T', ' ').slice(0, 19);

    // WHEN a responder asks for them, three rows at a time, then for one action
    const r = await askInTerminal(['--case', tmp.dir, 'investigate', top, '--show', '--interactive'], [`events principal=${principal} limit=3`, 'events action=StopLogging']);

    // THEN the answer gives the whole match's span as a readable range with dates, and where the rows shown stop
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`tool    search_events {"principal":"${principal}","limit":3}`);
    const answers = [...r.out.matchAll(/^answer {2}(.*)$/gm)].map((m) => m[1]!.trim());
    expect(answers).toHaveLength(2);
    const days = readableDuration(Date.parse(last) - Date.parse(first));
    expect(days).toMatch(/^\d+ d/);
    expect(answers[0]).toBe(`${all.length} matching event(s), ${fmt(first)} to ${fmt(last)} UTC (${days}); the first 3 are shown, up to ${fmt(times[2]!)} UTC`);
    // a single match: one time, nothing about rows left out
    expect(answers[1]).toMatch(/^1 matching event\(s\), 2026-11-21 02:24:10 UTC$/);
  }, 120_000);
});
