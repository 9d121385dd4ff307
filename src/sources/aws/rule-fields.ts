/**
 * Values CloudTrail records hold only implicitly, computed for rules (`irctl.*` fields, docs/rules.md "Field map"):
 * which accounts a resource policy grants access to, whether it grants the public, how soon a lifecycle rule expires
 * objects, which bucket an event concerns. A Sigma field path cannot express these (they compare two parts of the
 * record, or read a policy document that may be a JSON string). Pure.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { DerivedField } from '../types.js';
import { AWS_IP_RANGES_ENV, outsideAws, rangesLabel } from './ip-ranges.js';

/** Request parameters that carry a resource-based policy (S3, KMS, Secrets Manager, ECR, Glacier, ...). */
const POLICY_KEYS = ['bucketPolicy', 'policy', 'resourcePolicy', 'policyText'] as const;

/**
 * Condition keys that bind a `*` principal to known callers or networks, after AWS's definition of a public bucket
 * policy (S3 User Guide, "The meaning of public"): with one of them the grant is not to everyone.
 */
const BINDING_CONDITION_KEYS = new Set(
  [
    'aws:PrincipalOrgID',
    'aws:PrincipalOrgPaths',
    'aws:PrincipalAccount',
    'aws:PrincipalArn',
    'aws:PrincipalServiceName',
    'aws:SourceAccount',
    'aws:SourceArn',
    'aws:SourceOwner',
    'aws:SourceOrgID',
    'aws:SourceOrgPaths',
    'aws:SourceVpc',
    'aws:SourceVpce',
    'aws:SourceIp',
    'aws:userid',
    's3:DataAccessPointAccount',
    's3:DataAccessPointArn',
    'kms:CallerAccount',
    'kms:ViaService',
  ].map((k) => k.toLowerCase()),
);

/** The body's own account: the account whose resource the request changed. */
function ownAccount(body: Record<string, unknown>): string | undefined {
  return asString(body.recipientAccountId) ?? asString(asObject(body.userIdentity)?.accountId);
}

/** A policy document given as an object or as JSON text (possibly URL-encoded, as IAM records some). */
function policyDocument(v: unknown): Record<string, unknown> | undefined {
  if (typeof v === 'string') {
    let text = v;
    if (!text.trimStart().startsWith('{') && text.includes('%')) {
      try {
        text = decodeURIComponent(text);
      } catch {
        return undefined;
      }
    }
    try {
      return asObject(JSON.parse(text) as unknown);
    } catch {
      return undefined;
    }
  }
  return asObject(v);
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : v === undefined || v === null ? [] : [v];
}

/** The Allow statements of the resource policies a request carries. */
function allowStatements(body: unknown): Array<Record<string, unknown>> {
  const req = asObject(asObject(body)?.requestParameters);
  if (!req) return [];
  const out: Array<Record<string, unknown>> = [];
  for (const k of POLICY_KEYS) {
    const doc = policyDocument(req[k]);
    if (!doc) continue;
    for (const s of list(doc.Statement)) {
      const st = asObject(s);
      if (st && asString(st.Effect)?.toLowerCase() === 'allow') out.push(st);
    }
  }
  return out;
}

/** AWS principals a statement names (`"*"` included), as strings. */
function awsPrincipals(st: Record<string, unknown>): string[] {
  const p = st.Principal;
  if (typeof p === 'string') return [p];
  const o = asObject(p);
  return o ? list(o.AWS).filter((x): x is string => typeof x === 'string') : [];
}

/** The 12-digit account of an AWS principal (`123456789012`, `arn:aws:iam::123456789012:root|role/...|user/...`). */
export function accountOfPrincipal(p: string): string | undefined {
  if (/^\d{12}$/.test(p)) return p;
  return /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(p)?.[1];
}

/**
 * Accounts other than the record's own that an Allow statement of a resource policy in the request names as
 * principal: a bucket (or key, secret, repository) shared with another account. Sorted, distinct.
 */
export function policyForeignAccounts(body: unknown): string[] {
  const own = ownAccount(asObject(body) ?? {});
  const out = new Set<string>();
  for (const st of allowStatements(body)) {
    for (const p of awsPrincipals(st)) {
      const acct = accountOfPrincipal(p);
      if (acct !== undefined && acct !== own) out.add(acct);
    }
  }
  return [...out].sort();
}

/** Whether a statement's condition binds its principal (see {@link BINDING_CONDITION_KEYS}). */
function bound(st: Record<string, unknown>): boolean {
  const cond = asObject(st.Condition);
  if (!cond) return false;
  for (const op of Object.values(cond)) {
    const o = asObject(op);
    if (o && Object.keys(o).some((k) => BINDING_CONDITION_KEYS.has(k.toLowerCase()))) return true;
  }
  return false;
}

/**
 * Whether a resource policy in the request allows everyone: principal `*` (or `{"AWS": "*"}`), or `NotPrincipal`,
 * without a condition that binds the caller to an account, organization, network or source.
 */
export function policyGrantsPublic(body: unknown): boolean {
  return allowStatements(body).some((st) => (awsPrincipals(st).includes('*') || st.NotPrincipal !== undefined) && !bound(st));
}

/**
 * Days until the enabled lifecycle rules of a PutBucketLifecycle request first expire current objects: the smallest
 * `Expiration.Days`, or the days from the event to `Expiration.Date`. Undefined when no enabled rule expires objects.
 */
export function lifecycleExpiryDays(body: unknown): number | undefined {
  const b = asObject(body);
  const cfg = asObject(asObject(b?.requestParameters)?.LifecycleConfiguration);
  if (!cfg) return undefined;
  const eventMs = Date.parse(asString(b?.eventTime) ?? '');
  let best: number | undefined;
  for (const r of [...list(cfg.Rule), ...list(cfg.Rules)]) {
    const rule = asObject(r);
    if (!rule || asString(rule.Status)?.toLowerCase() !== 'enabled') continue;
    const exp = asObject(rule.Expiration);
    if (!exp) continue;
    let days: number | undefined;
    const d = Number(exp.Days);
    if (exp.Days !== undefined && exp.Days !== '' && Number.isFinite(d)) days = d;
    else if (typeof exp.Date === 'string' && Number.isFinite(eventMs) && Number.isFinite(Date.parse(exp.Date)))
      days = Math.max(0, Math.ceil((Date.parse(exp.Date) - eventMs) / 86_400_000));
    if (days !== undefined && (best === undefined || days < best)) best = days;
  }
  return best;
}

/** The S3 bucket an event concerns: the request's bucket, or the bucket a trail delivers to (CreateTrail/UpdateTrail). */
export function bucketOf(body: unknown): string | undefined {
  const req = asObject(asObject(body)?.requestParameters);
  return req ? (asString(req.bucketName) ?? asString(req.s3BucketName)) : undefined;
}

/** The `irctl.*` fields of CloudTrail records. */
export const CLOUDTRAIL_DERIVED_FIELDS: Readonly<Record<string, DerivedField>> = {
  'irctl.bucket': {
    description: 'S3 bucket the event concerns: requestParameters.bucketName, else the trail bucket s3BucketName',
    values: (b) => {
      const v = bucketOf(b);
      return v === undefined ? [] : [v];
    },
  },
  'irctl.policy_foreign_accounts': {
    description: 'accounts other than the record\'s own that a resource policy in the request allows (bucket, key, secret policies)',
    values: policyForeignAccounts,
  },
  'irctl.policy_public': {
    description: 'true when a resource policy in the request allows principal * without a condition binding the caller',
    values: (b) => (allowStatements(b).length ? [policyGrantsPublic(b)] : []),
  },
  'irctl.src_outside_aws': {
    description: `true when sourceIPAddress is outside AWS's published IP ranges, false when inside (ip-ranges.json named by ${AWS_IP_RANGES_ENV}); absent without that file or when the source is not an IP address`,
    values: (b) => {
      const ip = asObject(b)?.sourceIPAddress;
      const v = typeof ip === 'string' ? outsideAws(ip) : undefined;
      return v === undefined ? [] : [v];
    },
  },
  'irctl.aws_ip_ranges': {
    description: `the AWS IP ranges file that decided irctl.src_outside_aws (its createDate), for detection summaries`,
    values: () => {
      const l = rangesLabel();
      return l === undefined ? [] : [l];
    },
  },
  'irctl.lifecycle_expiry_days': {
    description: 'days until an enabled S3 lifecycle rule of the request first expires current objects',
    values: (b) => {
      const v = lifecycleExpiryDays(b);
      return v === undefined ? [] : [v];
    },
  },
};
