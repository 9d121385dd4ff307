/**
 * Test helper for the investigation stage: builds a case through the real CLI import, then inserts a threat and its
 * detections by hand per the 003-detect contract (detections, detection_events, threats, threat_detections,
 * threat_ids), as `irctl detect` would. Used where a test needs a threat with exact properties.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { openCase } from '../../src/case/case.js';
import { sha256Hex } from '../../src/util/hash.js';
import { fixture, runIrctl } from './run-irctl.js';

/** One detection of a seeded threat. */
export interface SeedDetection {
  ruleId: string;
  title: string;
  severity: 'informational' | 'low' | 'medium' | 'high' | 'critical';
  techniques?: string[];
  /** SQL condition on events (alias-free column names), e.g. `action IN ('CreateUser')`. */
  where: string;
}

/** Import fixture files (paths under fixtures/) into a new case, with an optional context file. */
export async function importCase(dir: string, files: string[], contextFixture?: string): Promise<void> {
  const r = await runIrctl(['--case', dir, 'import', ...files.map((f) => (f.startsWith('/') ? f : fixture(f))), '--json']);
  expect(r.code, r.stderr).toBe(0);
  if (contextFixture) copyFileSync(fixture(contextFixture), join(dir, 'context.yaml'));
}

/** Insert a threat made of detections over the events matching each `where`. Returns the event ids. */
export function seedThreat(dir: string, threatId: string, title: string, detections: SeedDetection[]): string[] {
  const kase = openCase(dir);
  const db = kase.db;
  try {
    const all: string[] = [];
    const tx = db.transaction(() => {
      let firstMs = Infinity;
      let lastMs = -Infinity;
      const ents = new Map<string, { kind: string; value: string }>();
      let maxSev = 'informational';
      const order = ['informational', 'low', 'medium', 'high', 'critical'];
      const detIds: number[] = [];
      for (const d of detections) {
        const evs = db.prepare(`SELECT id, time, time_ms, actor, access_key, src_ip, src_host FROM events WHERE ${d.where} ORDER BY time_ms, id`).all() as Array<{
          id: string;
          time: string;
          time_ms: number;
          actor: string | null;
          access_key: string | null;
          src_ip: string | null;
          src_host: string | null;
        }>;
        expect(evs.length, `no events match ${d.where}`).toBeGreaterThan(0);
        const ids = evs.map((e) => e.id);
        all.push(...ids);
        const first = evs[0]!;
        const last = evs[evs.length - 1]!;
        firstMs = Math.min(firstMs, first.time_ms);
        lastMs = Math.max(lastMs, last.time_ms);
        const dEnts = new Map<string, { kind: string; value: string }>();
        for (const e of evs) {
          if (e.actor) dEnts.set(`principal|${e.actor}`, { kind: 'principal', value: e.actor });
          if (e.access_key) dEnts.set(`access_key|${e.access_key}`, { kind: 'access_key', value: e.access_key });
          const ip = e.src_ip ?? e.src_host;
          if (ip) dEnts.set(`ip|${ip}`, { kind: 'ip', value: ip });
        }
        for (const [k, v] of dEnts) ents.set(k, v);
        if (order.indexOf(d.severity) > order.indexOf(maxSev)) maxSev = d.severity;
        const fingerprint = sha256Hex(`${d.ruleId}\n${ids.join('\n')}`);
        const id = Number(
          db
            .prepare(
              `INSERT INTO detections(fingerprint, rule_id, rule_title, rule_author, rule_source, severity, techniques, tactics, first_ms, last_ms, first_seen, last_seen, summary, entities, event_ids)
               VALUES (?, ?, ?, 'test', 'builtin', ?, ?, '[]', ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(fingerprint, d.ruleId, d.title, d.severity, JSON.stringify(d.techniques ?? []), first.time_ms, last.time_ms, first.time, last.time, `${d.title} (${evs.length} event(s))`, JSON.stringify([...dEnts.values()]), JSON.stringify(ids)).lastInsertRowid,
        );
        for (const e of ids) db.prepare('INSERT INTO detection_events(detection_id, event_id) VALUES (?, ?)').run(id, e);
        detIds.push(id);
      }
      const techniques = [...new Set(detections.flatMap((d) => d.techniques ?? []))];
      db.prepare(
        `INSERT INTO threats(id, title, severity, priority, first_ms, last_ms, first_seen, last_seen, entities, techniques, tactics, detection_count, context_notes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, '[]')`,
      ).run(threatId, title, maxSev, order.indexOf(maxSev), firstMs, lastMs, new Date(firstMs).toISOString(), new Date(lastMs).toISOString(), JSON.stringify([...ents.values()]), JSON.stringify(techniques), detIds.length);
      for (const id of detIds) db.prepare('INSERT INTO threat_detections(threat_id, detection_id) VALUES (?, ?)').run(threatId, id);
      db.prepare('INSERT INTO threat_ids(seq, id, anchor, created_at) VALUES (?, ?, ?, ?)').run(Number(threatId.slice(2)), threatId, sha256Hex(threatId), new Date(0).toISOString());
    });
    tx();
    return [...new Set(all)];
  } finally {
    kase.close();
  }
}

/** The five-verdict cases (fixtures/investigate/ATTRIBUTION.md). */
export const CASES = {
  /** Stratus iam-create-admin-user by christophe, with a 14-day baseline. */
  stratus: {
    files: ['investigate/stratus', 'investigate/baseline'],
    threat: [
      { ruleId: 'test-iam-admin-user', title: 'IAM user created with administrator access and an access key', severity: 'high', techniques: ['T1136.003', 'T1098'], where: "action IN ('CreateUser','AttachUserPolicy','CreateAccessKey') AND actor_name = 'christophe' AND time >= '2024-08-01'" },
    ] as SeedDetection[],
  },
  changeInside: {
    files: ['investigate/change-window/baseline.json', 'investigate/change-window/inside.json'],
    threat: [{ ruleId: 'test-role-trust', title: 'Role trust policy modified and IAM user created', severity: 'medium', techniques: ['T1098'], where: "action IN ('UpdateAssumeRolePolicy','CreateUser')" }] as SeedDetection[],
  },
  changeOutside: {
    files: ['investigate/change-window/baseline.json', 'investigate/change-window/outside.json'],
    threat: [{ ruleId: 'test-role-trust', title: 'Role trust policy modified and IAM user created', severity: 'medium', techniques: ['T1098'], where: "action IN ('UpdateAssumeRolePolicy','CreateUser')" }] as SeedDetection[],
  },
  routine: {
    files: ['investigate/routine'],
    threat: [{ ruleId: 'test-access-key-created', title: 'IAM access key created', severity: 'medium', techniques: ['T1098.001'], where: "action = 'CreateAccessKey' AND time >= '2026-11-15'" }] as SeedDetection[],
  },
  lone: {
    files: ['investigate/lone'],
    threat: [{ ruleId: 'test-federation-token', title: 'Federation token requested by an IAM user', severity: 'medium', techniques: ['T1550.001'], where: "action = 'GetFederationToken'" }] as SeedDetection[],
  },
} as const;
