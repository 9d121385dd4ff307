/**
 * Threat severity and priority (pure). Severity is the highest severity of the threat's detections, raised one level
 * (up to critical) for each context factor that applies; priority is a documented score (docs/threats.md):
 *
 *   priority = BASE[severity] + 5 x (context factors) + 2 x min(5, distinct tactics) + min(5, distinct rules - 1)
 *
 * capped at 100, with BASE = informational 5, low 20, medium 40, high 60, critical 80.
 */
import { asObject, asString } from '../normalize/event.js';
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

const ADMIN_ROLE_RE = /(^|[^a-z])(admin|administrator|administratoraccess|poweruser|organizationaccountaccessrole)([^a-z]|$)/i;
const ADMIN_POLICY_ARN = /^arn:aws[\w-]*:iam::aws:policy\/(AdministratorAccess|IAMFullAccess)$/;

/** The role name of a role ARN (`:role/path/NAME`) or assumed-role session ARN (`:assumed-role/NAME/session`). */
export function roleNameOf(arn: string): string | undefined {
  const assumed = /:assumed-role\/([^/]+)\//.exec(arn);
  if (assumed) return assumed[1];
  if (/:role\//.test(arn)) return arn.split('/').pop();
  return undefined;
}

/** True for the account root principal. */
export function isRootPrincipal(v: string): boolean {
  return /^arn:aws[\w-]*:iam::\d{12}:root$/.test(v);
}

/** True when a role (or a session of it) has an administrator-like name. */
export function isAdminRoleName(arn: string): boolean {
  const name = roleNameOf(arn);
  return name !== undefined && ADMIN_ROLE_RE.test(name.replace(/[_-]/g, ' '));
}

/** A policy document that allows every action on every resource. */
export function isAdminPolicyDocument(doc: unknown): boolean {
  let d = doc;
  if (typeof d === 'string') {
    try {
      d = JSON.parse(decodeURIComponentSafe(d));
    } catch {
      return false;
    }
  }
  const o = asObject(d);
  if (!o) return false;
  const stmts = Array.isArray(o.Statement) ? o.Statement : [o.Statement];
  return stmts.some((s) => {
    const st = asObject(s);
    if (!st || st.Effect !== 'Allow') return false;
    const acts = Array.isArray(st.Action) ? st.Action : [st.Action];
    const res = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
    return acts.some((a) => a === '*' || a === '*:*') && res.some((r) => r === '*');
  });
}

function decodeURIComponentSafe(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** One IAM event that may grant admin, as the store returns it. */
export interface GrantEvent {
  action: string;
  /** JSON array of resources. */
  resources: string;
  /** Parsed CloudTrail body (or undefined). */
  body: Record<string, unknown> | undefined;
}

/**
 * Principals (user and role ARNs) granted administrator rights in the evidence: AdministratorAccess / IAMFullAccess
 * attached, an inline policy allowing `*` on `*`, or membership of a group that was given either.
 */
export function adminPrincipals(events: readonly GrantEvent[]): Map<string, string> {
  const out = new Map<string, string>();
  const adminGroups = new Set<string>();
  const members: Array<{ group: string; user: string }> = [];
  for (const ev of events) {
    const req = asObject(ev.body?.requestParameters) ?? {};
    const account = asString(ev.body?.recipientAccountId) ?? asString(asObject(ev.body?.userIdentity)?.accountId) ?? '';
    const userArn = (n: string): string => `arn:aws:iam::${account}:user/${n}`;
    const roleArn = (n: string): string => `arn:aws:iam::${account}:role/${n}`;
    const policyArn = asString(req.policyArn);
    const grantsAdmin =
      (policyArn !== undefined && ADMIN_POLICY_ARN.test(policyArn)) ||
      (ev.action.startsWith('Put') && isAdminPolicyDocument(req.policyDocument));
    const user = asString(req.userName);
    const role = asString(req.roleName);
    const group = asString(req.groupName);
    if (ev.action === 'AddUserToGroup') {
      if (user && group) members.push({ group, user });
      continue;
    }
    if (!grantsAdmin) continue;
    const why = policyArn ? `${ev.action} ${policyArn}` : `${ev.action} allowing * on *`;
    if (user) out.set(userArn(user), why);
    if (role) out.set(roleArn(role), why);
    if (group) adminGroups.add(group);
  }
  for (const m of members) {
    if (adminGroups.has(m.group)) {
      // The account is not in AddUserToGroup's parameters here; the ARN form matches how users are named elsewhere.
      const acct = [...out.keys()].map((k) => /^arn:aws:iam::(\d*):/.exec(k)?.[1]).find((a) => a !== undefined) ?? '';
      out.set(`arn:aws:iam::${acct}:user/${m.user}`, `AddUserToGroup ${m.group} (an admin group)`);
    }
  }
  return out;
}

/**
 * The forms a crown-jewel entry may take in events: the entry itself, and for a Secrets Manager ARN the secret name
 * with and without the random 6-character suffix (GetSecretValue is often called by name). A trailing `*` means
 * "anything starting with".
 */
export function jewelForms(jewel: string): Array<{ value: string; prefix: boolean }> {
  if (jewel.endsWith('*')) return [{ value: jewel.slice(0, -1), prefix: true }];
  const out = [{ value: jewel, prefix: false }];
  const m = /^arn:aws[\w-]*:secretsmanager:[^:]*:\d*:secret:(.+)$/.exec(jewel);
  if (m?.[1]) {
    out.push({ value: m[1], prefix: false });
    const noSuffix = m[1].replace(/-[A-Za-z0-9]{6}$/, '');
    if (noSuffix !== m[1]) out.push({ value: noSuffix, prefix: false });
  }
  return out;
}

/** True when a resource is a crown jewel (or inside one: `bucket/key`). */
export function matchesJewel(resource: string, jewel: string): boolean {
  return jewelForms(jewel).some((f) =>
    f.prefix ? resource.startsWith(f.value) : resource === f.value || resource.startsWith(`${f.value}/`),
  );
}
