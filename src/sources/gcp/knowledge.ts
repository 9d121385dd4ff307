/**
 * What irctl knows about Google Cloud beyond parsing records: Google acting for itself (service agents), privileged
 * IAM grants, logging tampering, identity hops for the blast radius, crown-jewel forms and identifier shapes to
 * pseudonymize. The generic stages reach it only through the provider registry (`sources/index.ts`). Pure.
 */
import type { EventRow } from '../../normalize/event-row.js';
import type { AdminGrant, Entity, GrantEvent, PseudonymPattern } from '../types.js';
import { TOKEN_METHODS } from './audit-log.js';
import { isGoogleManagedIdentity, saEmailOfName } from './common.js';
import { bindingDeltas } from './rule-fields.js';

/**
 * Values that name Google acting for the platform rather than an actor: service agents and Google itself (the
 * adapter types them `GoogleManaged`). They act in every project, so they never link detections.
 */
export function isGcpServiceValue(value: string, actorType?: string | null): boolean {
  if (actorType === 'GoogleManaged') return true;
  return isGoogleManagedIdentity(value);
}

/** A short display name: the service account's name, a federated subject's last part; users keep their e-mail. */
export function gcpShortName(principal: string): string | undefined {
  const sa = /^([^@]+)@[^@]+\.gserviceaccount\.com$/i.exec(principal);
  if (sa) return sa[1];
  if (principal.startsWith('principal://') || principal.startsWith('principalSet://')) return principal.split('/').pop();
  return undefined;
}

const ADMIN_NAME_RE = /(^|[^a-z])(admin|administrator|owner|superuser|org-?admin)([^a-z]|$)/i;

/** The name of a service account whose name says administrator (`terraform-admin@p.iam.gserviceaccount.com`). */
export function gcpAdminNamed(principal: string): string | undefined {
  const name = gcpShortName(principal);
  if (name === undefined || !principal.endsWith('.gserviceaccount.com')) return undefined;
  return ADMIN_NAME_RE.test(name.replace(/_/g, '-')) ? name : undefined;
}

/** Predefined roles that amount to administrator rights over their resource. */
export const GCP_ADMIN_ROLES: ReadonlySet<string> = new Set([
  'roles/owner',
  'roles/editor',
  'roles/resourcemanager.organizationAdmin',
  'roles/resourcemanager.folderAdmin',
  'roles/resourcemanager.projectIamAdmin',
  'roles/iam.securityAdmin',
  'roles/iam.serviceAccountAdmin',
  'roles/iam.serviceAccountKeyAdmin',
  'roles/iam.serviceAccountTokenCreator',
  'roles/iam.workloadIdentityPoolAdmin',
]);

/** Methods (Resource Manager) that change the IAM policy of a project, folder or organization. */
export const GCP_GRANT_METHODS = ['SetIamPolicy', 'google.cloud.resourcemanager.v3.Projects.SetIamPolicy', 'google.cloud.resourcemanager.v3.Folders.SetIamPolicy', 'google.cloud.resourcemanager.v3.Organizations.SetIamPolicy'] as const;

/** `user:a@b` / `serviceAccount:x@p.iam...` -> the principal form events use (lower-case e-mail); others as they are. */
export function memberPrincipal(member: string): string {
  const m = /^(?:user|serviceAccount|group):(.+)$/.exec(member);
  return m?.[1] !== undefined ? m[1].toLowerCase() : member;
}

/** Principals granted an administrator role by IAM policy changes (ADD binding deltas), with the role. */
export function gcpAdminGrants(events: readonly GrantEvent[]): AdminGrant[] {
  const out = new Map<string, string>();
  for (const ev of events) {
    for (const d of bindingDeltas(ev.body)) {
      if (d.action !== 'ADD' || !GCP_ADMIN_ROLES.has(d.role)) continue;
      out.set(memberPrincipal(d.member), `${ev.action} ${d.role}`);
    }
  }
  return [...out.entries()].map(([principal, why]) => ({ principal, why }));
}

/**
 * Logging and monitoring tampering (method names): log sinks, exclusions, log buckets and views, log deletion,
 * CMEK and settings of the Logging service, alerting policies and channels, Security Command Center notification
 * configs and mute rules. Audit-config removal (Data Access logs turned off) rides on `SetIamPolicy`, which is far
 * too common to list: the `irctl-gcp-data-access-logging-disabled` rule reports it.
 */
export const GCP_TAMPER_ACTIONS = [
  'google.logging.v2.ConfigServiceV2.DeleteSink',
  'google.logging.v2.ConfigServiceV2.UpdateSink',
  'google.logging.v2.ConfigServiceV2.CreateExclusion',
  'google.logging.v2.ConfigServiceV2.UpdateExclusion',
  'google.logging.v2.ConfigServiceV2.DeleteBucket',
  'google.logging.v2.ConfigServiceV2.UpdateBucket',
  'google.logging.v2.ConfigServiceV2.DeleteView',
  'google.logging.v2.ConfigServiceV2.UpdateSettings',
  'google.logging.v2.ConfigServiceV2.UpdateCmekSettings',
  'google.logging.v2.LoggingServiceV2.DeleteLog',
  'google.monitoring.v3.AlertPolicyService.DeleteAlertPolicy',
  'google.monitoring.v3.AlertPolicyService.UpdateAlertPolicy',
  'google.monitoring.v3.NotificationChannelService.DeleteNotificationChannel',
  'google.cloud.securitycenter.v1.SecurityCenter.DeleteNotificationConfig',
  'google.cloud.securitycenter.v1.SecurityCenter.CreateMuteConfig',
] as const;

/** Of those, the ones that stop delivery of logs to where they were kept. */
export const GCP_TAMPER_STOPS = ['google.logging.v2.ConfigServiceV2.DeleteSink', 'google.logging.v2.ConfigServiceV2.DeleteBucket', 'google.logging.v2.LoggingServiceV2.DeleteLog'] as const;

/** Methods that (re)start delivery. */
export const GCP_TAMPER_STARTS = ['google.logging.v2.ConfigServiceV2.CreateSink', 'google.logging.v2.ConfigServiceV2.UndeleteBucket'] as const;

const TOKEN_SET: ReadonlySet<string> = new Set(TOKEN_METHODS);

/**
 * Service accounts an event acted through (the blast radius's "roles assumed"): the account a token was minted for
 * (GenerateAccessToken, SignJwt, ...), and the acting service account of a call someone made by impersonation
 * (its entry lists the delegation chain).
 */
export function gcpRolesAssumed(e: Pick<EventRow, 'action' | 'outcome' | 'actor' | 'related'>, resources: readonly string[]): string[] {
  const out: string[] = [];
  if (e.outcome !== 'failure' && TOKEN_SET.has(e.action)) for (const r of resources) {
    const sa = saEmailOfName(r);
    if (sa !== undefined) out.push(sa);
  }
  if (e.actor?.endsWith('.gserviceaccount.com') === true && e.related?.includes('"principal"') === true) out.push(e.actor);
  return [...new Set(out)];
}

/** Compute instances named by resource names (`projects/p/zones/z/instances/vm`). */
export function gcpExtraEntities(e: Pick<EventRow, 'resources'>): Entity[] {
  if (!e.resources.includes('/instances/')) return [];
  let res: unknown;
  try {
    res = JSON.parse(e.resources);
  } catch {
    return [];
  }
  const out: Entity[] = [];
  for (const r of Array.isArray(res) ? (res as unknown[]) : []) {
    if (typeof r === 'string' && /^projects\/[^/]+\/zones\/[^/]+\/instances\/[^/]+$/.test(r)) out.push({ kind: 'instance', value: r });
  }
  return out;
}

/**
 * Other forms of a crown-jewel entry: a bucket as `gs://b`, `projects/_/buckets/b` (audit entries' resource name)
 * and `b`; a service account as its e-mail and its `projects/-/serviceAccounts/` and `projects/<p>/serviceAccounts/`
 * names.
 */
export function gcpJewelForms(jewel: string): string[] {
  const bucket = /^(?:gs:\/\/|projects\/_\/buckets\/)([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])\/?$/.exec(jewel)?.[1];
  if (bucket !== undefined) return [`projects/_/buckets/${bucket}`, `gs://${bucket}`, bucket];
  const sa = /^[a-z0-9._-]+@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/i.exec(jewel) ? jewel.toLowerCase() : saEmailOfName(jewel);
  if (sa !== undefined) {
    const project = /@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(sa)?.[1];
    return [sa, `projects/-/serviceAccounts/${sa}`, ...(project !== undefined ? [`projects/${project}/serviceAccounts/${sa}`] : [])];
  }
  return [];
}

/** A project id (6 to 30 characters: lower-case letters, digits, hyphens; starts with a letter). */
const PROJECT_ID = '[a-z][a-z0-9-]{4,28}[a-z0-9]';

/**
 * Google Cloud identifier shapes the pseudonymizer replaces, in order: public values kept (Google API hosts, predefined
 * roles, protobuf type URLs), secret material redacted (OAuth access tokens, private keys), then service-account
 * e-mails (name and project), default and Google-managed accounts (project number), resource paths (project id or
 * number, and the resource's own name), organization and folder numbers, `gs://` buckets. User e-mails are handled
 * by the generic e-mail rule.
 */
export const GCP_PSEUDONYM_PATTERNS: readonly PseudonymPattern[] = [
  { name: 'Google API host or type URL', pattern: /\b(?:type\.googleapis\.com\/[\w.]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.googleapis\.com)\b/g, kind: 'public' },
  { name: 'predefined IAM role', pattern: /\broles\/[a-zA-Z]+(?:\.[a-zA-Z]+)*\b/g, kind: 'public' },
  { name: 'OAuth access token', pattern: /\bya29\.[\w-]{20,}/g, kind: 'secret' },
  { name: 'private key', pattern: /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]*?-----END (?:RSA )?PRIVATE KEY-----/g, kind: 'secret' },
  {
    name: 'Google-managed service account (project number)',
    pattern: /\b(?:service-)?(?<account>\d{6,19})(?:-compute)?@(?:[a-z-]+\.iam|cloudservices|developer|cloudbuild)\.gserviceaccount\.com\b/g,
    kind: 'principal',
  },
  {
    name: 'service account e-mail (name, project)',
    pattern: new RegExp(`\\b(?<name>[a-z][a-z0-9-]{4,28}[a-z0-9])@(?<account>${PROJECT_ID})\\.iam\\.gserviceaccount\\.com\\b`, 'g'),
    kind: 'principal',
  },
  { name: 'App Engine default service account', pattern: new RegExp(`\\b(?<account>${PROJECT_ID})@appspot\\.gserviceaccount\\.com\\b`, 'g'), kind: 'principal' },
  {
    name: 'resource path under a project (project, resource name)',
    pattern: new RegExp(
      `\\bprojects\\/(?<account>${PROJECT_ID}|\\d{6,19})(?:\\/(?:[a-zA-Z]+)\\/[^\\s/"'\\\\,;<>()[\\]{}]+)*?\\/(?:instances|buckets|secrets|datasets|tables|topics|subscriptions|sinks|keyRings|cryptoKeys|clusters|functions|services|firewalls|networks|disks|snapshots|images|repositories|triggers|jobs|exclusions|keys)\\/(?<name>[^\\s/"'\\\\,;<>()[\\]{}]+)`,
      'g',
    ),
    kind: 'resource',
  },
  { name: 'bucket or service account under the any-project path', pattern: /\bprojects\/[_-]\/(?:buckets|serviceAccounts)\/(?<name>[^\s/"'\\,;<>()[\]{}]+)/g, kind: 'resource' },
  { name: 'project id or number in a path', pattern: new RegExp(`\\bprojects\\/(?<account>${PROJECT_ID}|\\d{6,19})\\b`, 'g'), kind: 'account' },
  { name: 'organization or folder number', pattern: /\b(?:organizations|folders)\/(?<account>\d{6,19})\b/g, kind: 'account' },
  { name: 'Cloud Storage URL', pattern: /\bgs:\/\/(?<name>[a-z0-9][a-z0-9._-]{1,220}[a-z0-9])/g, kind: 'resource' },
];
