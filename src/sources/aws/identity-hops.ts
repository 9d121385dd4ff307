/**
 * Identity hops in CloudTrail: the calls that mint or hand out credentials (STS AssumeRole*, GetFederationToken,
 * GetSessionToken, IAM CreateAccessKey, IAM Roles Anywhere CreateSession). What they issue (the key, the session, its
 * name, source identity, the SAML/OIDC subject, the instance an instance-profile session was issued to) becomes
 * entities of the issuing event, so the event links to every later event that uses the key or the session, and a
 * threat's timeline can start where its key came from. Pure.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { Entity } from '../types.js';

/** Actions that issue credentials or sessions, by service. */
const ISSUING: Readonly<Record<string, readonly string[]>> = {
  sts: ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetFederationToken', 'GetSessionToken', 'AssumeRoot'],
  iam: ['CreateAccessKey'],
  rolesanywhere: ['CreateSession'],
};

/** True when the action issues credentials (the blast radius lists what such calls created). */
export function issuesCredentials(service: string | null | undefined, action: string): boolean {
  return service !== null && service !== undefined && (ISSUING[service] ?? []).includes(action);
}

const INSTANCE_ID = /^i-[0-9a-fA-F]{8,17}$/;

/**
 * Entities a credential-issuing CloudTrail record hands out (only successful calls issue anything). `ct` is the
 * CloudTrail body (no envelope).
 */
export function identityHops(ct: Record<string, unknown>, service: string, action: string): Entity[] {
  if (!issuesCredentials(service, action) || asString(ct.errorCode) !== undefined) return [];
  const out: Entity[] = [];
  const add = (kind: string, v: unknown): void => {
    const s = asString(v);
    if (s !== undefined && s.length < 2048) out.push({ kind, value: s });
  };
  const req = asObject(ct.requestParameters) ?? {};
  const resp = asObject(ct.responseElements) ?? {};
  const creds = asObject(resp.credentials);
  add('access_key', creds?.accessKeyId);
  add('access_key', asObject(resp.accessKey)?.accessKeyId);
  const assumed = asObject(resp.assumedRoleUser);
  add('session', assumed?.arn);
  add('session', asObject(resp.federatedUser)?.arn);
  add('session_name', req.roleSessionName);
  add('source_identity', req.sourceIdentity ?? resp.sourceIdentity);
  add('subject', resp.subject);
  add('subject', resp.subjectFromWebIdentityToken);
  const session = asString(req.roleSessionName);
  const identity = asObject(ct.userIdentity);
  // An instance-profile session: issued to the EC2 service, its session name is the instance id.
  if (session !== undefined && INSTANCE_ID.test(session) && (asString(identity?.invokedBy) === 'ec2.amazonaws.com' || asString(identity?.type) === 'AWSService')) {
    add('instance', session);
  }
  // Roles Anywhere: the session is issued to a certificate's subject.
  if (service === 'rolesanywhere') add('subject', asObject(ct.additionalEventData)?.x509SubjectCN ?? req.cert);
  return out;
}
