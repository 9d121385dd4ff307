/**
 * issue 2 item 4: `irctl events` filters and output, on a real case built from synthetic CloudTrail.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';
import { ctRecord, s3LogText, writeFile } from '../helpers/cloudtrail.js';

interface EventJson {
  id: string;
  time: string;
  provider: string;
  layer: string;
  action: string;
  actor: string | null;
  src_ip: string | null;
  outcome: string;
  raw_sha256: string;
}

const NOW = new Date('2024-03-02T12:00:00Z');
const RECORDS = [
  ctRecord(0, { who: 'alice', time: '2024-03-01T10:00:00Z', eventName: 'GetObject', ip: '203.0.113.7' }),
  ctRecord(1, { who: 'alice', time: '2024-03-02T08:00:00Z', eventName: 'DeleteBucket', ip: '198.51.100.5' }),
  ctRecord(2, { who: 'ci-role', time: '2024-03-02T10:00:00Z', eventName: 'DeleteObject', ip: '203.0.113.7' }),
  ctRecord(3, { who: 'root', time: '2024-03-02T11:00:00Z', eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', ip: '192.0.2.10' }),
  ctRecord(4, { who: 'service', time: '2024-03-02T11:30:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances' }),
  ctRecord(5, { who: 'alice', time: '2024-03-02T11:45:00+00:00', eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', ip: '203.0.113.7', errorCode: 'AccessDenied' }),
];
const idOf = (i: number): string => String(RECORDS[i]?.eventID);

let dir: string;
let cleanup: () => void;
let caseDir: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  caseDir = join(dir, 'case');
  // Out of time order in the file on purpose: output is sorted by time.
  const path = writeFile(join(dir, 'trail.json'), s3LogText([...RECORDS].reverse()));
  const r = await runIrctl(['--case', caseDir, 'import', path]);
  expect(r.code).toBe(0);
});
afterAll(() => cleanup());

async function ids(...filters: string[]): Promise<string[]> {
  const r = await runIrctl(['--case', caseDir, 'events', '--json', ...filters], { now: () => NOW });
  expect(r.code, r.stderr).toBe(0);
  return r.json<EventJson>().map((e) => e.id);
}
const expectIds = async (filters: string[], want: number[]): Promise<void> => {
  expect(await ids(...filters), filters.join(' ')).toEqual(want.map(idOf));
};

describe('irctl events --json', () => {
  it('prints one object per event in time order with the interface fields', async () => {
    const r = await runIrctl(['--case', caseDir, 'events', '--json']);
    const all = r.json<EventJson>();
    expect(all.map((e) => e.id)).toEqual([0, 1, 2, 3, 4, 5].map(idOf));
    expect(all[2]).toMatchObject({
      id: idOf(2),
      time: '2024-03-02T10:00:00.000Z',
      provider: 'aws',
      layer: 'control_plane',
      action: 'DeleteObject',
      actor: 'arn:aws:sts::111122223333:assumed-role/deploy/ci-session',
      src_ip: '203.0.113.7',
      outcome: 'success',
    });
    expect(all[2]?.raw_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(all[5]?.outcome).toBe('failure');
    expect(all[4]?.actor).toBe('ec2.amazonaws.com');
    for (const e of all) expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('irctl events filters', () => {
  it('--since and --until, relative and ISO (until is exclusive; a date alone is midnight UTC)', async () => {
    await expectIds(['--since', '6h'], [1, 2, 3, 4, 5]);
    await expectIds(['--since', '1d', '--until', '1h'], [1, 2]);
    await expectIds(['--since', '1d', '--until', '59m'], [1, 2, 3]);
    await expectIds(['--since', '2024-03-02T09:00:00Z', '--until', '2024-03-02T11:00:00Z'], [2]);
    await expectIds(['--since', '2024-03-02'], [1, 2, 3, 4, 5]);
    await expectIds(['--since', '2024-03-02T12:00:00+03:00'], [2, 3, 4, 5]);
    await expectIds(['--until', '2024-03-02T07:59:59.999Z'], [0]);
  });

  it('--actor takes an ARN, a user or session name, a role ARN, or an access key', async () => {
    await expectIds(['--actor', 'arn:aws:iam::111122223333:user/alice'], [0, 1, 5]);
    await expectIds(['--actor', 'alice'], [0, 1, 5]);
    await expectIds(['--actor', 'ci-session'], [2]);
    await expectIds(['--actor', 'arn:aws:iam::111122223333:role/deploy'], [2]);
    await expectIds(['--actor', 'AKIAEXAMPLEALICE0001'], [0, 1, 5]);
    await expectIds(['--actor', 'arn:aws:iam::111122223333:root'], [3]);
    await expectIds(['--actor', 'nobody'], []);
  });

  it('--access-key, --ip', async () => {
    await expectIds(['--access-key', 'ASIAEXAMPLECISESS001'], [2]);
    await expectIds(['--ip', '203.0.113.7'], [0, 2, 5]);
    await expectIds(['--ip', '192.0.2.10'], [3]);
  });

  it('--action exact and with a wildcard, --provider, --layer', async () => {
    await expectIds(['--action', 'Delete*'], [1, 2]);
    await expectIds(['--action', 'ConsoleLogin'], [3]);
    await expectIds(['--action', 'delete*'], []);
    await expectIds(['--provider', 'aws'], [0, 1, 2, 3, 4, 5]);
    await expectIds(['--provider', 'gcp'], []);
    await expectIds(['--layer', 'identity'], [3]);
  });

  it('filters combine, and --limit cuts in time order', async () => {
    await expectIds(['--actor', 'alice', '--since', '6h', '--action', 'Delete*'], [1]);
    await expectIds(['--limit', '2'], [0, 1]);
    await expectIds(['--limit', '2', '--desc'], [5, 4]);
  });
});

describe('irctl events (table)', () => {
  it('prints a table with a header by default and counts on stderr', async () => {
    const r = await runIrctl(['--case', caseDir, 'events', '--actor', 'alice']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME \(UTC\)\s+LAYER\s+ACTION\s+ACTOR\s+SOURCE\s+OUTCOME\s+REGION$/);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toContain('iam:CreateAccessKey');
    expect(lines[3]).toContain('failure (AccessDenied)');
    expect(r.stderr).toContain('3 matching event(s)');
  });

  it('says how many were not shown when --limit cuts', async () => {
    const r = await runIrctl(['--case', caseDir, 'events', '--limit', '2']);
    expect(r.stderr).toContain('2 of 6 matching events shown');
  });
});

describe('irctl events usage errors', () => {
  it('rejects bad times, inverted ranges, bad limits and unknown layers with exit 2', async () => {
    for (const args of [['--since', 'last tuesday'], ['--since', '1h', '--until', '2h'], ['--limit', '-1'], ['--layer', 'kernel']]) {
      const r = await runIrctl(['--case', caseDir, 'events', ...args], { now: () => NOW });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('says how to make a case when there is none (exit 3)', async () => {
    const r = await runIrctl(['--case', join(dir, 'nope'), 'events']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no case at .*nope/);
    expect(r.stderr).toMatch(/irctl import PATH/);
  });
});
