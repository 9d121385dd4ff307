/**
 * issue 14 §3 and issue 10 "Rows from tables": Azure and Entra ID records that come as table rows (Log Analytics
 * query API responses, the Logs blade's CSV export, Entra portal sign-in and audit CSV downloads) import through the
 * CLI, keep each row's exact bytes with the header stored once, are one event across shapes, fire the Azure rules,
 * and bad tables are quarantined row by row with a message naming the file and the row (exit 6).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsvRecord } from '../../src/util/csv.js';
import { fixtureFiles, showEvent } from '../helpers/fixture-files.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

function cellsOf(line: string): string[] {
  const r = parseCsvRecord(line);
  if ('error' in r) throw new Error(r.error);
  return r.cells;
}

interface Shown {
  event: { id: string; src_ip: string | null };
  copies: Array<{ origin: string; header?: { format: string; columns: string[] } }>;
  detections: Array<{ rule_id: string }>;
}

let dir: string;
let cleanup: () => void;
let kase: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  kase = join(dir, 'case');
  // GIVEN every table shape, imported with format detection
  const imp = await runIrctl(['--case', kase, 'import', ...fixtureFiles('azure-tables'), '--json']);
  expect(imp.code, imp.stderr).toBe(0);
  const s = imp.json<{ events: number; duplicates: number; quarantined: number; inputs: Array<{ path: string; format: string }> }>()[0]!;
  // 6 sign-in rows of which 3 repeat an id (the msticpy data), 2 AzureActivity rows read twice (API and CSV export)
  expect(s).toMatchObject({ events: 13, duplicates: 5, quarantined: 0 });
  expect(new Set(s.inputs.map((i) => i.format))).toEqual(new Set(['tables', 'csv']));
  expect((await runIrctl(['--case', kase, 'detect'])).code).toBe(0);
}, 60_000);
afterAll(() => cleanup());

function show(id: string): Promise<Shown> {
  return showEvent<Shown>(kase, id);
}

async function eventIds(filter: string[]): Promise<string[]> {
  const r = await runIrctl(['--case', kase, 'events', ...filter, '--json']);
  return r.json<{ id: string }>().map((e) => e.id);
}

describe('Azure tables', () => {
  it('AzureActivity rows from the query API and the Logs CSV export are one event each, and fire the Activity Log rules', async () => {
    const ids = await eventIds(['--action', 'microsoft.authorization/roleassignments/write']);
    expect(ids).toHaveLength(1);
    const ev = await show(ids[0]!);
    // THEN two raw records (the CSV row first: files import in name order), each with its header
    expect(ev.copies.map((c) => [c.origin, c.header?.format])).toEqual([
      ['reshaped', 'csv'],
      ['native', 'table'],
    ]);
    expect(ev.copies[0]?.header?.columns).toContain('TimeGenerated [UTC]');
    expect(ev.detections.map((d) => d.rule_id)).toContain('irctl-azure-privileged-role-assignment');
    const del = await eventIds(['--action', 'microsoft.insights/diagnosticsettings/delete']);
    expect((await show(del[0]!)).detections.map((d) => d.rule_id)).toContain('irctl-azure-diagnostic-settings-deleted');
  });

  it("a query API row's raw record is the row array's bytes as they stand in the response", async () => {
    const body = readFileSync(fixture('azure-tables', 'auditlogs.query-response.json'), 'utf8');
    const rowStart = body.indexOf('"rows":[') + '"rows":['.length;
    const rowText = body.slice(rowStart, body.lastIndexOf(']]}]}') + 1);
    const raw = await runIrctl(['--case', kase, 'show', 'Directory_7d6c5b4a-0000-4000-8000-0000000000aa_ABC12_1', '--raw']);
    expect(raw.stdout).toBe(rowText);
    expect(raw.stderr).toContain('a table row; its columns');
    expect((await show('Directory_7d6c5b4a-0000-4000-8000-0000000000aa_ABC12_1')).detections.map((d) => d.rule_id)).toContain('irctl-azure-app-credential-added');
  });

  it('Entra portal CSV downloads: sign-ins keep their Request ID as identity and fire the spray rule; audits fire too', async () => {
    const spray = await show('aa11bb22-0000-4000-8000-000000000004');
    expect(spray.event.src_ip).toBe('198.51.100.200');
    expect(spray.copies.map((c) => c.origin)).toEqual(['reshaped']);
    expect(spray.detections.map((d) => d.rule_id)).toEqual(expect.arrayContaining(['irctl-azure-password-spray', 'irctl-azure-signin-failures-then-success']));
    const audits = await eventIds(['--action', 'Update application – Certificates and secrets management']);
    expect(audits).toHaveLength(1);
    expect((await show(audits[0]!)).detections.map((d) => d.rule_id)).toContain('irctl-azure-app-credential-added');
  });

  it('case verify re-normalizes every row with its stored header', async () => {
    const v = await runIrctl(['--case', kase, 'case', 'verify']);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toMatch(/events\s+13 re-normalized/);
  });
});

describe('bad tables', () => {
  it('quarantines each bad row naming the file and the row, keeps the good ones, exits 6', async () => {
    const c = join(dir, 'bad-case');
    const csv = readFileSync(fixture('azure-tables', 'entra-signins.portal.csv'), 'utf8').split('\r\n');
    const header = csv[0]!;
    const good = csv[1]!;
    const names = cellsOf(header.replace(/^\ufeff/, ''));
    const cols = names.length;
    const cells = cellsOf(good);
    const at = (name: string): number => names.indexOf(name);
    // Cells with a comma are quoted; the line break below is left unquoted on purpose.
    const withCell = (name: string, v: string, id: string): string =>
      cells.map((x, i) => (i === at(name) ? v : i === at('Request ID') ? id : x)).map((x) => (x.includes(',') ? `"${x}"` : x)).join(',');
    expect(cells).toHaveLength(cols);
    const bad = join(dir, 'signins-bad.csv');
    const lines = [
      header,
      withCell('Request ID', 'ab000000-0000-4000-8000-000000000001', 'ab000000-0000-4000-8000-000000000001'),
      // an unquoted line break inside "Failure reason": the row is cut in two
      withCell('Failure reason', 'Invalid username\nor password', 'ab000000-0000-4000-8000-000000000002'),
      // no time
      withCell('Date (UTC)', '', 'ab000000-0000-4000-8000-000000000003'),
      // no IP address: a valid record (service principals and managed identities sign in without one)
      withCell('IP address', '', 'ab000000-0000-4000-8000-000000000004'),
    ];
    const latin1 = Buffer.from(withCell('User', 'Ren\u00e9', 'ab000000-0000-4000-8000-000000000005'), 'latin1');
    writeFileSync(bad, Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n'), latin1, Buffer.from('\r\n')]));

    // WHEN it is imported with a table of an unsupported log source (a real SecurityAlert response)
    const r = await runIrctl(['--case', c, 'import', bad, fixture('azure-tables-unsupported', 'securityalert.query-response.json'), '--json']);
    // THEN exit 6, good rows kept, each problem named with the file and the row
    expect(r.code, r.stderr).toBe(6);
    const s = r.json<{ events: number; quarantined: number }>()[0]!;
    expect(s.events).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // (the cut row is two lines, each short of cells)
    expect(r.stderr).toMatch(new RegExp(`${bad}: row 2 \\(line 3\\): has \\d+ cell\\(s\\) but the header names ${cols} column\\(s\\)`));
    expect(r.stderr).toMatch(new RegExp(`${bad}: row 3 \\(line 4\\): has \\d+ cell\\(s\\) but the header names ${cols} column\\(s\\)`));
    expect(r.stderr).toContain(`${bad}: row 4 (line 5): Entra ID sign-in has no time (createdDateTime / time) (quarantined)`);
    expect(r.stderr).toContain(`${bad}: row 6 (line 7): contains bytes that are not valid UTF-8`);
    expect(r.stderr).toMatch(/securityalert\.query-response\.json: row 1: is not a row of any supported log source; its columns of table PrimaryResult are TenantId, TimeGenerated, DisplayName/);
    const q = (await runIrctl(['--case', c, 'case', 'quarantine', '--json'])).json<{ locator: string; record_index: number; reason: string }>();
    expect(q.filter((e) => e.locator === bad).map((e) => e.record_index)).toEqual([1, 2, 3, 5]);
    expect(q.filter((e) => e.locator.endsWith('securityalert.query-response.json'))).toHaveLength(3);
    // AND the row without an IP is an event without a source address
    const noIp = (await runIrctl(['--case', c, 'show', 'ab000000-0000-4000-8000-000000000004', '--json'])).json<Shown>()[0]!;
    expect(noIp.event.src_ip).toBeNull();
  });
});
