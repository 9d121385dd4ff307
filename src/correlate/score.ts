/**
 * Threat severity and priority (pure). Severity is the highest severity of the threat's detections, raised one level
 * (up to critical) for each context factor that applies; priority is a documented score (docs/threats.md):
 *
 *   priority = BASE[severity] + 5 x (context factors) + 2 x min(5, distinct tactics) + min(5, distinct rules - 1)
 *
 * capped at 100, with BASE = informational 5, low 20, medium 40, high 60, critical 80.
 */
import { jewelForms as providerJewelForms } from '../sources/index.js';
import type { Severity } from '../detect/types.js';

/** Severities, lowest first. */
export const SEVERITIES: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** Base priority per severity. */
export const PRIORITY_BASE: Record<Severity, number> = { informational: 5, low: 20, medium: 40, high: 60, critical: 80 };

/** Rank of a severity (unknown strings rank as informational). */
export function severityRank(s: string): number {
  const i = SEVERITIES.indexOf(s as Severity);
  return i < 0 ? 0 : i;
}

/** Highest of several severities. */
export function maxSeverity(list: Iterable<string>): Severity {
  let best = 0;
  for (const s of list) best = Math.max(best, severityRank(s));
  return SEVERITIES[best] as Severity;
}

/** Severity raised by `levels`, capped at critical. */
export function raiseSeverity(s: Severity, levels: number): Severity {
  return SEVERITIES[Math.min(SEVERITIES.length - 1, severityRank(s) + Math.max(0, levels))] as Severity;
}

/** Context factors found for a threat; each list holds human-readable reasons. Empty list: factor absent. */
export interface ContextFactors {
  /** Privileged actor: root, admin role names, principals granted admin in the evidence. */
  privileged: string[];
  /** Crown-jewel resources (context.yaml `crown_jewels`) touched. */
  crownJewels: string[];
  /** Publicly exposed instances (EC2 context). */
  exposure: string[];
}

/** Final severity, priority and the notes explaining them. */
export interface ThreatScore {
  severity: Severity;
  priority: number;
  /** Why severity/priority were raised (stored in threats.context_notes). */
  notes: string[];
}

/** Score a threat. */
export function scoreThreat(detectionSeverities: readonly string[], tactics: number, rules: number, f: ContextFactors): ThreatScore {
  const base = maxSeverity(detectionSeverities);
  const factors = [f.privileged, f.crownJewels, f.exposure].filter((l) => l.length > 0).length;
  const severity = raiseSeverity(base, factors);
  const priority = Math.min(100, PRIORITY_BASE[severity] + 5 * factors + 2 * Math.min(5, tactics) + Math.min(5, Math.max(0, rules - 1)));
  const notes = [
    ...f.privileged.map((n) => `privileged actor: ${n}`),
    ...f.crownJewels.map((n) => `crown jewel: ${n}`),
    ...f.exposure.map((n) => `public exposure: ${n}`),
  ];
  if (severity !== base) notes.push(`severity raised from ${base} to ${severity} by ${factors} context factor(s)`);
  return { severity, priority, notes };
}

/**
 * The forms a crown-jewel entry may take in events: the entry itself and the forms its provider knows (e.g. a
 * secret's name for its ARN). A trailing `*` means "anything starting with".
 */
export function jewelForms(jewel: string): Array<{ value: string; prefix: boolean }> {
  if (jewel.endsWith('*')) return [{ value: jewel.slice(0, -1), prefix: true }];
  return providerJewelForms(jewel).map((value) => ({ value, prefix: false }));
}

/** True when a resource is a crown jewel (or inside one: `bucket/key`). */
export function matchesJewel(resource: string, jewel: string): boolean {
  return jewelForms(jewel).some((f) =>
    f.prefix ? resource.startsWith(f.value) : resource === f.value || resource.startsWith(`${f.value}/`),
  );
}
