/** Fixture directories as import arguments, and `show --json` of one event. */
import { readdirSync } from 'node:fs';
import { expect } from 'vitest';
import { fixture, runIrctl } from './run-irctl.js';

/** The files of a fixture directory, without its attribution and readme (Markdown is not a log). */
export function fixtureFiles(dir: string): string[] {
  return readdirSync(fixture(dir))
    .filter((f) => !f.endsWith('.md'))
    .sort()
    .map((f) => fixture(dir, f));
}

/** `irctl show <id> --json` on a case, which must succeed. */
export async function showEvent<T>(kase: string, id: string): Promise<T> {
  const r = await runIrctl(['--case', kase, 'show', id, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<T>()[0] as T;
}
