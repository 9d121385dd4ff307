/**
 * Tetragon's JSON export through the CLI (issue 16, workload layer): export lines of the current schema and the real
 * 2022 events of cilium/tetragon's docs (pretty-printed, one per file; old `process_connect` events) import with
 * their formats auto-detected; events carry the workload layer, the process's user on its node, the hook and the
 * file or address it touched; entities name host, container, pod, namespace, image and process with its parent; the
 * same event exported twice is one event; bad lines are quarantined with a reason (exit 6). `detect` fires the
 * workload rules, and Tetragon's and Falco's views of the same attack on the same node join into one threat.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runIrctl } from '../helpers/run-irctl.js';

const TET = fixture('tetragon-export');
const CORPUS = fixture('tetragon-corpus');
const NODE = 'ip-10-0-1-23.ec2.internal';

interface EventJson {
  id: string;
  time: string;
  layer: string;
  class: string;
  service: string;
  action: string;
  actor: string | null;
  actor_type: string | null;
  outcome: string;
  error_code: string | null;
  resources: string[];
}
interface ThreatJson {
  id: string;
  rules: string[];
  techniques: string[];
  entities: Array<{ kind: string; value: string }>;
}
interface ImportJson {
  quarantined: number;
  duplicates: number;
  inputs: Array<{ format: string; events: number; duplicates: number; quarantined: number }>;
}

describe('Tetragon export events', () => {
  let dir: string;
  let kase: string;
  const irctl = (...args: string[]) => runIrctl(['--case', kase, ...args]);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-tetragon-'));
    kase = join(dir, 'case');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports export lines as workload events with the process, its hook and what it touched', async () => {
    // WHEN the two nodes' export files are imported (format auto-detected)
    const r = await irctl('import', join(TET, 'agent-node.jsonl'), join(TET, 'batch-node.jsonl'), '--json');
    // THEN every line is an event
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.code).toBe(0);
    expect(r.json<ImportJson>()[0]!.inputs.map((i) => [i.format, i.events])).toEqual([
      ['jsonl', 18],
      ['jsonl', 14],
    ]);
    const ev = (await irctl('events', '--provider', 'tetragon', '--json')).json<EventJson>();
    expect(ev).toHaveLength(32);
    expect(new Set(ev.map((e) => e.layer))).toEqual(new Set(['workload']));
    // The reverse shell's connection: a kprobe on tcp_connect by bash, to the attacker's listener.
    const revShell = ev.find((e) => e.action === 'tcp_connect' && e.resources.includes('203.0.113.50:4444'))!;
    expect(revShell).toMatchObject({ class: 'network_activity', service: 'kprobe', actor: `root@${NODE}`, actor_type: 'OSUser', outcome: 'success' });
    expect(revShell.id).toMatch(/^tetragon:process_kprobe:[A-Za-z0-9+/=]+:2026-11-20T10:02:23\.402117960Z:[0-9a-f]{12}$/);
    // An execution names its binary; the LSM hook an enforcement policy killed is a failed attempt.
    expect(ev.find((e) => e.action === 'exec' && e.resources.includes('/usr/bin/nsenter'))).toMatchObject({ class: 'process_activity', service: 'process' });
    expect(ev.find((e) => e.service === 'lsm')).toMatchObject({
      action: 'file_open',
      outcome: 'failure',
      error_code: 'KPROBE_ACTION_SIGKILL',
      resources: ['/etc/kubernetes/manifests/kube-sys.yaml'],
    });
    // Tetragon's report of dropped events is evidence too (missing telemetry), with no process.
    expect(ev.find((e) => e.action === 'rate_limit_info')).toMatchObject({ service: 'tetragon', actor: null });
  });

  it('stores an event exported twice once, and quarantines lines without a time or a process (exit 6)', async () => {
    const r = await irctl('import', join(TET, 'bad-records.jsonl'), '--json');
    expect(r.code).toBe(6);
    const s = r.json<ImportJson>()[0]!;
    expect(s).toMatchObject({ duplicates: 1, quarantined: 3 });
    // (import counts records from 0, as for every source)
    expect(r.stderr).toContain('bad-records.jsonl: record 1: Tetragon process_kprobe event has no time');
    expect(r.stderr).toContain('record 2: Tetragon process_exit event time "20 Nov 2026 10:02" is not an ISO 8601 time');
    expect(r.stderr).toContain('record 3: Tetragon process_kprobe event has no "process"');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    // Importing a file again adds nothing.
    const again = await irctl('import', join(TET, 'agent-node.jsonl'), '--json');
    expect(again.code).toBe(0);
    expect(again.json<ImportJson>()[0]!.inputs[0]).toMatchObject({ events: 0, duplicates: 18 });
  });

  it("imports the real events of Tetragon's docs (2022 schema, one pretty-printed event per file) with nothing quarantined", async () => {
    const r = await irctl('import', join(CORPUS, 'security-observability-with-ebpf'), join(CORPUS, 'testdata-events.json'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = r.json<ImportJson>()[0]!;
    expect(s.quarantined).toBe(0);
    expect(s.inputs.reduce((n, i) => n + i.events, 0)).toBe(43);
    const ev = (await irctl('events', '--provider', 'tetragon', '--json')).json<EventJson>();
    // The old schema's socket events and its file paths without a leading slash.
    expect(ev.find((e) => e.service === 'socket' && e.action === 'connect' && e.resources.includes('34.116.205.187:443'))?.class).toBe('network_activity');
    expect(ev.some((e) => e.action === '__x64_sys_read' && e.resources.includes('/usr/share/elasticsearch/config/elasticsearch.keystore'))).toBe(true);
    // The testdata line without `time` takes its process's start time.
    expect(ev.some((e) => e.time === '2022-10-18T03:16:18.273Z' && e.resources.includes('/usr/bin/netserver'))).toBe(true);
  });

  it('detect fires the workload rules; entities name host, container, pod, namespace, image and processes', async () => {
    const d = await irctl('detect', '--json');
    expect(d.code).toBe(0);
    const threats = (await irctl('threats', '--json')).json<ThreatJson>();
    const agent = threats.find((t) => t.rules.includes('irctl-tetragon-reverse-shell'))!;
    expect(agent.rules).toEqual(
      expect.arrayContaining([
        'irctl-tetragon-shell-from-service',
        'irctl-tetragon-download-execute',
        'irctl-tetragon-imds-credentials',
        'irctl-tetragon-sensitive-file-read',
      ]),
    );
    expect(agent.techniques).toEqual(expect.arrayContaining(['T1059.004', 'T1105', 'T1552.005', 'T1552.001']));
    expect(agent.entities).toEqual(
      expect.arrayContaining([
        { kind: 'principal', value: `root@${NODE}` },
        { kind: 'ip', value: '203.0.113.50' },
        { kind: 'host', value: NODE },
        { kind: 'container', value: '3f2a9c1d7b44' },
        { kind: 'pod', value: 'agents/support-agent-7d9f8b6c5-x2k4q' },
        { kind: 'namespace', value: 'agents' },
        { kind: 'image', value: '123456789012.dkr.ecr.us-east-1.amazonaws.com/support-agent:1.4.2' },
      ]),
    );
    expect(agent.entities.some((e) => e.kind === 'process')).toBe(true);
    expect(agent.entities.some((e) => e.kind === 'parent_process')).toBe(true);
    // The metadata service's address is on every instance: it names no machine and links nothing.
    expect(agent.entities.some((e) => e.value === '169.254.169.254')).toBe(false);

    const batch = threats.find((t) => t.rules.includes('irctl-tetragon-crypto-miner'))!;
    expect(batch.rules).toEqual(expect.arrayContaining(['irctl-tetragon-container-escape', 'irctl-tetragon-sensitive-file-read']));
    expect(batch.techniques).toEqual(expect.arrayContaining(['T1496', 'T1611', 'T1003.008']));
    // The docs' attack: a privileged pod starts, then nsenter -t 1 onto the host.
    const docs = threats.find((t) => t.entities.some((e) => e.kind === 'host' && e.value === 'minikube'))!;
    expect(docs.rules).toContain('irctl-tetragon-container-escape');
    expect(docs.entities).toEqual(expect.arrayContaining([{ kind: 'pod', value: 'default/privileged-pod' }]));

    // The timeline shows the process tree's steps with their detections; show --raw gives the line byte for byte.
    const tl = await irctl('timeline', agent.id);
    expect(tl.code).toBe(0);
    expect(tl.stdout).toContain('kprobe:tcp_connect');
    expect(tl.stdout).toContain('Reverse shell (Tetragon)');
    const ev = (await irctl('events', '--provider', 'tetragon', '--json')).json<EventJson>();
    const sh = ev.find((e) => e.resources.includes('/usr/bin/dash') && e.time === '2026-11-20T10:02:21.118Z')!;
    const raw = await irctl('show', sh.id, '--raw');
    expect(raw.stdout.trimEnd()).toBe(readFileSync(join(TET, 'agent-node.jsonl'), 'utf8').split('\n')[4]);
    const shown = await irctl('show', sh.id);
    expect(shown.stdout).toContain('Shell spawned by a model-serving or web process (Tetragon)');
  });

  it('investigates the agent threat offline as malicious: a runtime sensor saw the execution', async () => {
    const agent = (await irctl('threats', '--json')).json<ThreatJson>().find((t) => t.rules.includes('irctl-tetragon-reverse-shell'))!;
    const r = await irctl('investigate', agent.id, '--offline', '--json');
    expect(r.code, r.stderr).toBe(0);
    const v = r.json<{ verdict: string }>()[0]!;
    expect(v.verdict).toBe('malicious');
    expect(JSON.stringify(v)).toContain('observed by a runtime sensor on the workload layer');
  });

  it("joins Falco's and Tetragon's view of the same attack on the same node into one threat", async () => {
    // GIVEN the Falco alerts of the same node and pod (fixtures/falco-alerts) in the same case
    const r = await irctl('import', fixture('falco-alerts', 'falco-stdout.jsonl'));
    expect(r.code).toBe(0);
    // WHEN detect runs again
    expect((await irctl('detect')).code).toBe(0);
    // THEN both sensors' detections share the user on the node and the attacker's address: one threat
    const threats = (await irctl('threats', '--json')).json<ThreatJson>();
    const both = threats.filter((t) => t.rules.includes('irctl-tetragon-reverse-shell'));
    expect(both).toHaveLength(1);
    expect(both[0]!.rules).toEqual(expect.arrayContaining(['irctl-falco-reverse-shell', 'irctl-falco-download-execute', 'irctl-tetragon-download-execute']));
  });
});
