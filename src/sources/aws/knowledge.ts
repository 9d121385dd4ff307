/**
 * What irctl knows about AWS beyond parsing records: service principals, identities (ARNs, sessions, instances),
 * privilege, logging tampering, crown-jewel forms and identifier shapes to pseudonymize. The generic stages reach it
 * only through the provider registry (`sources/index.ts`). Pure.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { EventRow } from '../../normalize/event-row.js';
import type { AdminGrant, Entity, GrantEvent, PseudonymPattern } from '../types.js';

/**
 * Values that name AWS's own services rather than an actor: `ec2.amazonaws.com`, `AWS Internal`, service-linked
 * roles. They appear in unrelated activity everywhere, so they never link detections.
 */
export function isAwsServiceValue(value: string, actorType?: string | null): boolean {
  if (actorType === 'AWSService') return true;
  const v = value.toLowerCase();
  return (
    v.endsWith('.amazonaws.com') ||
    v.endsWith('.amazonaws.com.cn') ||
    v === 'aws internal' ||
    v.includes(':role/aws-service-role/') ||
    v.includes(':assumed-role/awsservicerole')
  );
}

/** EC2 instance id when a role session was issued to an instance (its session name is the instance id). */
export function instanceOfSession(session: string | null | undefined): string | undefined {
  if (!session) return undefined;
  const m = /:assumed-role\/[^/]+\/(i-[0-9a-fA-F]{8,17})$/.exec(session);
  return m ? m[1] : undefined;
}

/** Instance id of an EC2 instance ARN. */
function instanceOfArn(resource: string): string | undefined {
  const m = /^arn:aws[\w-]*:ec2:[^:]*:\d*:instance\/(i-[0-9a-fA-F]+)$/.exec(resource);
  return m ? m[1] : undefined;
}

/** AWS entities beyond the generic ones: the instance a session was issued to, instances named as resources. */
export function awsExtraEntities(e: Pick<EventRow, 'session' | 'actor' | 'resources'>): Entity[] {
  const out: Entity[] = [];
  const inst = instanceOfSession(e.session ?? e.actor);
  if (inst) out.push({ kind: 'instance', value: inst });
  if (e.resources.includes(':instance/')) {
    let res: unknown;
    try {
      res = JSON.parse(e.resources);
    } catch {
      res = [];
    }
    if (Array.isArray(res)) {
      for (const r of res as unknown[]) {
        const id = typeof r === 'string' ? instanceOfArn(r) : undefined;
        if (id) out.push({ kind: 'instance', value: id });
      }
    }
  }
  return out;
}

/** `arn:aws:sts::1:assumed-role/R/s` -> `arn:aws:iam::1:role/R`. */
export function roleArnOfSession(session: string): string | undefined {
  const m = /^arn:(aws[\w-]*):sts::(\d*):assumed-role\/([^/]+)\//.exec(session);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/** The name part of an ARN (`user/alice` -> `alice`, `assumed-role/R/s` -> `R/s`); undefined for non-ARNs. */
export function shortNameOfArn(v: string): string | undefined {
  if (!v.startsWith('arn:')) return undefined;
  const rest = v.split(':').slice(5).join(':');
  return rest.replace(/^(user|role|assumed-role)\//, '') || v;
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
  return adminNamedRole(arn) !== undefined;
}

/** The role name of a role or role session whose name says administrator. */
export function adminNamedRole(arn: string): string | undefined {
  if (!arn.includes(':role/') && !arn.includes(':assumed-role/')) return undefined;
  const name = roleNameOf(arn);
  return name !== undefined && ADMIN_ROLE_RE.test(name.replace(/[_-]/g, ' ')) ? name : undefined;
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

/** IAM actions that can grant administrator rights (the successful ones are read from the store). */
export const ADMIN_GRANT_ACTIONS = [
  'AttachUserPolicy',
  'AttachRolePolicy',
  'AttachGroupPolicy',
  'PutUserPolicy',
  'PutRolePolicy',
  'PutGroupPolicy',
  'AddUserToGroup',
] as const;

/**
 * Principals (user and role ARNs) granted administrator rights in the evidence: AdministratorAccess / IAMFullAccess
 * attached, an inline policy allowing `*` on `*`, or membership of a group that was given either.
 */
export function adminGrants(events: readonly GrantEvent[]): AdminGrant[] {
  const out = new Map<string, string>();
  const adminGroups = new Set<string>();
  const members: Array<{ group: string; user: string }> = [];
  for (const ev of events) {
    const body = asObject(ev.body);
    const req = asObject(body?.requestParameters) ?? {};
    const account = asString(body?.recipientAccountId) ?? asString(asObject(body?.userIdentity)?.accountId) ?? '';
    const policyArn = asString(req.policyArn);
    const grantsAdmin =
      (policyArn !== undefined && ADMIN_POLICY_ARN.test(policyArn)) || (ev.action.startsWith('Put') && isAdminPolicyDocument(req.policyDocument));
    const user = asString(req.userName);
    const role = asString(req.roleName);
    const group = asString(req.groupName);
    if (ev.action === 'AddUserToGroup') {
      if (user && group) members.push({ group, user });
      continue;
    }
    if (!grantsAdmin) continue;
    const why = policyArn ? `${ev.action} ${policyArn}` : `${ev.action} allowing * on *`;
    if (user) out.set(`arn:aws:iam::${account}:user/${user}`, why);
    if (role) out.set(`arn:aws:iam::${account}:role/${role}`, why);
    if (group) adminGroups.add(group);
  }
  for (const m of members) {
    if (adminGroups.has(m.group)) {
      // The account is not in AddUserToGroup's parameters here; the ARN form matches how users are named elsewhere.
      const acct = [...out.keys()].map((k) => /^arn:aws:iam::(\d*):/.exec(k)?.[1]).find((a) => a !== undefined) ?? '';
      out.set(`arn:aws:iam::${acct}:user/${m.user}`, `AddUserToGroup ${m.group} (an admin group)`);
    }
  }
  return [...out.entries()].map(([principal, why]) => ({ principal, why }));
}

/**
 * Other forms of a crown-jewel entry: for a Secrets Manager ARN, the secret name with and without the random
 * 6-character suffix (GetSecretValue is often called by name).
 */
export function awsJewelForms(jewel: string): string[] {
  const m = /^arn:aws[\w-]*:secretsmanager:[^:]*:\d*:secret:(.+)$/.exec(jewel);
  if (!m?.[1]) return [];
  const noSuffix = m[1].replace(/-[A-Za-z0-9]{6}$/, '');
  return noSuffix !== m[1] ? [m[1], noSuffix] : [m[1]];
}

/** Logging and monitoring tampering actions (CloudTrail, VPC flow logs, DNS query logs, GuardDuty, Config, Bedrock logging). */
export const AWS_TAMPER_ACTIONS = [
  'StopLogging',
  'DeleteTrail',
  'UpdateTrail',
  'PutEventSelectors',
  'PutInsightSelectors',
  'DeleteFlowLogs',
  'DeleteResolverQueryLogConfig',
  'DisassociateResolverQueryLogConfig',
  'DeleteDetector',
  'UpdateDetector',
  'DeleteMembers',
  'DisassociateFromMasterAccount',
  'StopConfigurationRecorder',
  'DeleteConfigurationRecorder',
  'DeleteDeliveryChannel',
  'DeleteModelInvocationLoggingConfiguration',
  'DeleteLogGroup',
  'DeleteLogStream',
  'PutRetentionPolicy',
  'LeaveOrganization',
] as const;

/**
 * Roles an event involved as assumed (the blast radius's "roles assumed"): the role its session came from, and the
 * roles named by a successful STS AssumeRole* call.
 */
export function awsRolesAssumed(e: Pick<EventRow, 'service' | 'action' | 'outcome' | 'assumed_from'>, resources: readonly string[]): string[] {
  const out: string[] = [];
  if (e.assumed_from?.includes(':role/')) out.push(e.assumed_from);
  if (e.outcome !== 'failure' && e.service === 'sts' && e.action.startsWith('AssumeRole')) out.push(...resources.filter((r) => r.includes(':role/')));
  return out;
}

/**
 * AWS identifier shapes the pseudonymizer replaces, in order: public values kept (AWS-managed policies, service
 * hosts, foundation models), secret material redacted (secret access keys, session tokens), then ARNs with their
 * account and names, access key ids, IAM unique ids, and 12-digit account ids anywhere (also inside names such as
 * `backup-444455556666`).
 */
export const AWS_PSEUDONYM_PATTERNS: readonly PseudonymPattern[] = [
  { name: 'AWS-managed policy', pattern: /\barn:aws[\w-]*:iam::aws:policy\/[\w+=,.@/-]+/g, kind: 'public' },
  { name: 'AWS service host', pattern: /\b[a-z0-9-]+(?:\.[a-z]{2}(?:-gov)?-[a-z]+-\d)?\.amazonaws\.com(?:\.cn)?\b|\bAWS Internal\b/g, kind: 'public' },
  { name: 'Bedrock foundation model', pattern: /\barn:aws[\w-]*:bedrock:[\w-]*::foundation-model\/[\w.:-]+|\b(?:anthropic|amazon|meta|cohere|ai21|mistral|stability|deepseek|writer|twelvelabs|luma)\.[a-z][\w.:-]*/g, kind: 'public' },
  {
    name: 'secret access key',
    pattern: /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{0,39}[0-9])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    kind: 'secret',
  },
  { name: 'STS session token', pattern: /\b(?:FwoG|IQoJ|AQoD)[A-Za-z0-9/+=]{60,}/g, kind: 'secret' },
  {
    name: 'IAM/STS principal ARN',
    pattern: /\barn:aws[\w-]*:(?:iam|sts)::(?<account>\d{12}):(?:user|role|assumed-role|group|federated-user|instance-profile|root)(?:\/(?<name>[\w+=,.@/-]+))?/g,
    kind: 'principal',
  },
  { name: 'other IAM ARN (policy, provider, certificate)', pattern: /\barn:aws[\w-]*:(?:iam|sts)::(?<account>\d{12}):[\w-]+(?:\/(?<name>[\w+=,.@/-]+))?/g, kind: 'resource' },
  { name: 'S3 ARN', pattern: /\barn:aws[\w-]*:s3:::(?<name>[^\s"'\\,;<>()[\]{}]+)/g, kind: 'resource' },
  {
    name: 'resource ARN',
    pattern: /\barn:aws[\w-]*:[\w.-]+:[\w-]*:(?<account>\d{12})?:(?:[\w.-]+[:/](?=[^\s"'\\,;<>()[\]{}]))?(?<name>[^\s"'\\,;<>()[\]{}]+)/g,
    kind: 'resource',
  },
  { name: 'access key id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,20}\b/g, kind: 'key' },
  { name: 'IAM unique id', pattern: /\b(?:AIDA|AROA|AGPA|ANPA|ANVA|AIPA|APKA)[A-Z0-9]{12,20}\b/g, kind: 'principal_id' },
  { name: 'account id', pattern: /(?<![0-9A-Za-z.])\d{12}(?![0-9A-Za-z])/g, kind: 'account' },
];
