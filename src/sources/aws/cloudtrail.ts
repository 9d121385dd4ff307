/**
 * AWS CloudTrail management and data events, as they stand in S3 log files, LookupEvents' CloudTrailEvent strings,
 * bare arrays, JSON Lines, and EventBridge / CloudWatch Events envelopes (`detail`).
 * Field meanings: AWS "CloudTrail record contents" reference.
 */
import {
  asObject,
  asString,
  isIpAddress,
  normalizeTime,
  type EventClass,
  type Layer,
  type NormalizeResult,
  type Outcome,
} from '../../normalize/event.js';
import type { ContainerFormat, SourceAdapter } from '../types.js';
import { cloudTrailFromRow, cloudTrailOrigin, reshapedCloudTrail } from './exports.js';
import { identityHops } from './identity-hops.js';
import { CLOUDTRAIL_DERIVED_FIELDS } from './rule-fields.js';

/** The CloudTrail record inside a record that may be an EventBridge envelope. */
export function cloudTrailBody(record: unknown): Record<string, unknown> | undefined {
  const obj = asObject(record);
  if (!obj) return undefined;
  // CloudTrail's eventSource / eventName are strings (null in a damaged record); an Azure Activity Log entry has keys
  // of the same names holding {value, localizedValue} objects, and is not CloudTrail.
  const ctKey = (o: Record<string, unknown>, k: string): boolean => k in o && (o[k] === null || typeof o[k] !== 'object');
  if (ctKey(obj, 'eventSource') || ctKey(obj, 'eventName') || 'eventVersion' in obj) {
    // Logstash's cloudtrail codec moved eventTime to @timestamp (exports.ts).
    return 'eventTime' in obj || !('@timestamp' in obj) ? obj : reshapedCloudTrail(obj);
  }
  const detail = asObject(obj.detail);
  if (detail && (ctKey(detail, 'eventSource') || ctKey(detail, 'eventName'))) return detail;
  // SIEM and console exports that re-shaped the record (Elastic fields, console columns).
  return reshapedCloudTrail(obj);
}

const READ_PREFIXES = ['Get', 'List', 'Describe', 'Head', 'Lookup', 'Search', 'Scan', 'Query', 'BatchGet', 'Check'];

function layerAndClass(service: string, action: string): { layer: Layer; cls: EventClass } {
  if (service === 'signin' || action === 'ConsoleLogin' || action === 'CheckMfa' || action === 'SwitchRole')
    return { layer: 'identity', cls: 'authentication' };
  if (service === 'sts') return { layer: 'identity', cls: action.startsWith('Assume') || action.startsWith('Get') ? 'authentication' : 'api_activity' };
  if (service === 'sso' || service === 'identitystore' || service === 'sso-directory') return { layer: 'identity', cls: 'api_activity' };
  if (service === 'bedrock' || service === 'bedrock-runtime' || service === 'bedrock-agent' || service === 'bedrock-agent-runtime') {
    const invoke = /^(InvokeModel|InvokeModelWithResponseStream|Converse|ConverseStream|InvokeAgent|RetrieveAndGenerate)$/.test(action);
    return { layer: 'ai', cls: invoke ? 'model_invocation' : 'api_activity' };
  }
  if (service === 'iam' && /^(Create|Delete|Update|Attach|Detach|Put|Add|Remove)(User|LoginProfile|AccessKey|Group|UserPolicy|GroupPolicy)/.test(action))
    return { layer: 'control_plane', cls: 'account_change' };
  return { layer: 'control_plane', cls: 'api_activity' };
}

/**
 * The user agent as clients send it. S3 data events record it in square brackets (`[aws-cli/2.15.0 Python/3.11.6
 * Darwin/23.1.0 exe/x86_64 prompt/off command/s3.cp]`), management events without; one form for both, so rules and
 * baselines see one client. Only a pair of brackets around the whole value is removed (the raw record keeps it).
 */
export function normalizeUserAgent(ua: string | undefined): string | undefined {
  if (ua === undefined) return undefined;
  const t = ua.trim();
  if (t.length >= 2 && t.startsWith('[') && t.endsWith(']') && !t.slice(1, -1).includes(']')) {
    const inner = t.slice(1, -1).trim();
    return inner === '' ? undefined : inner;
  }
  return ua;
}

function outcomeOf(ct: Record<string, unknown>): Outcome {
  if (asString(ct.errorCode) || asString(ct.errorMessage)) return 'failure';
  const resp = asObject(ct.responseElements);
  const login = resp ? asString(resp.ConsoleLogin) : undefined;
  if (login === 'Failure') return 'failure';
  return 'success';
}

/** Resource identifiers named by the record: the `resources` list plus common request parameters. */
function resourcesOf(ct: Record<string, unknown>, account: string | undefined, region: string | undefined): string[] {
  const out = new Set<string>();
  const list = Array.isArray(ct.resources) ? ct.resources : [];
  for (const r of list) {
    const o = asObject(r);
    const arn = o ? asString(o.ARN) ?? asString(o.arn) : undefined;
    if (arn) out.add(arn);
  }
  const req = asObject(ct.requestParameters);
  if (req) {
    const acct = account ?? '';
    const add = (v: unknown, fmt: (s: string) => string): void => {
      if (typeof v === 'string' && v.length > 0 && v.length < 2048) out.add(v.startsWith('arn:') ? v : fmt(v));
    };
    add(req.bucketName, (b) => `arn:aws:s3:::${b}`);
    add(req.userName, (u) => `arn:aws:iam::${acct}:user/${u}`);
    add(req.roleName, (r) => `arn:aws:iam::${acct}:role/${r}`);
    add(req.policyArn, (p) => p);
    add(req.roleArn, (p) => p);
    add(req.secretId, (s) => s);
    add(req.functionName, (f) => `arn:aws:lambda:${region ?? ''}:${acct}:function:${f}`);
    add(req.snapshotId, (s) => `arn:aws:ec2:${region ?? ''}::snapshot/${s}`);
    add(req.imageId, (s) => `arn:aws:ec2:${region ?? ''}::image/${s}`);
    add(req.instanceId, (s) => `arn:aws:ec2:${region ?? ''}:${acct}:instance/${s}`);
    add(req.keyId, (k) => k);
    add(req.trailName, (t) => t);
    add(req.modelId, (m) => m);
    add(req.groupId, (g) => `arn:aws:ec2:${region ?? ''}:${acct}:security-group/${g}`);
    const ids = asObject(req.instancesSet);
    const items = ids && Array.isArray(ids.items) ? ids.items : Array.isArray(req.instanceIds) ? req.instanceIds : [];
    for (const it of items) {
      const id = typeof it === 'string' ? it : asString(asObject(it)?.instanceId);
      if (id) out.add(`arn:aws:ec2:${region ?? ''}:${acct}:instance/${id}`);
    }
    if (typeof req.name === 'string' && (ct.eventSource === 'ssm.amazonaws.com' || ct.eventSource === 'cloudtrail.amazonaws.com')) out.add(req.name);
  }
  return [...out].sort();
}

/** The related entities, or undefined when there are none (most events). */
const relatedOrNone = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);

/** Pure mapping of one CloudTrail record (or EventBridge envelope) to the common schema. */
export function normalizeCloudTrail(record: unknown, rawSha256: string): NormalizeResult {
  const ct = cloudTrailBody(record);
  if (!ct) return { ok: false, reason: 'not a CloudTrail record (no eventSource/eventName, and no EventBridge detail)' };
  const eventSource = asString(ct.eventSource);
  const eventName = asString(ct.eventName);
  if (!eventSource) return { ok: false, reason: 'CloudTrail record has no eventSource' };
  if (!eventName) return { ok: false, reason: 'CloudTrail record has no eventName' };
  if (ct.eventTime === undefined || ct.eventTime === null) return { ok: false, reason: 'CloudTrail record has no eventTime' };
  const t = normalizeTime(ct.eventTime);
  if (!t) return { ok: false, reason: `CloudTrail eventTime ${JSON.stringify(ct.eventTime).slice(0, 60)} is not an ISO 8601 time` };

  const ui = asObject(ct.userIdentity) ?? {};
  const type = asString(ui.type);
  const arn = asString(ui.arn);
  const sessionCtx = asObject(ui.sessionContext);
  const issuer = sessionCtx ? asObject(sessionCtx.sessionIssuer) : undefined;
  const issuerArn = issuer ? asString(issuer.arn) : undefined;
  const account = asString(ct.recipientAccountId) ?? asString(ui.accountId);
  const region = asString(ct.awsRegion);
  const service = eventSource.replace(/\.amazonaws\.com$/, '');
  const invokedBy = asString(ui.invokedBy);
  let principal = arn;
  if (!principal && type === 'AWSService') principal = invokedBy;
  if (!principal) principal = asString(ui.principalId) ?? asString(ui.userName);
  let session: string | undefined;
  let name = asString(ui.userName);
  if (type === 'AssumedRole' || type === 'FederatedUser') {
    session = arn;
    if (arn) name = arn.split('/').pop();
  } else if (type === 'Root') {
    name = name ?? 'root';
  }
  // ConsoleLogin failures carry the user name in additionalEventData / userIdentity.userName only.
  const src = asString(ct.sourceIPAddress);
  const { layer, cls } = layerAndClass(service, eventName);
  const readOnlyField = ct.readOnly;
  const readOnly = typeof readOnlyField === 'boolean' ? readOnlyField : READ_PREFIXES.some((p) => eventName.startsWith(p));
  const id = asString(ct.eventID) ?? `sha256:${rawSha256}`;
  return {
    ok: true,
    event: {
      id,
      dataType: 'aws:cloudtrail:entry',
      class: cls,
      time: t.iso,
      timeMs: t.ms,
      provider: 'aws',
      layer,
      account,
      region,
      service,
      action: eventName,
      actor: {
        principal,
        type,
        name,
        principalId: asString(ui.principalId),
        accessKey: asString(ui.accessKeyId),
        session,
        assumedFrom: issuerArn,
      },
      srcIp: src && isIpAddress(src) ? src : undefined,
      srcHost: src && !isIpAddress(src) ? src : undefined,
      userAgent: normalizeUserAgent(asString(ct.userAgent)),
      outcome: outcomeOf(ct),
      errorCode: asString(ct.errorCode),
      readOnly,
      resources: resourcesOf(ct, account, region),
      related: relatedOrNone(identityHops(ct, service, eventName)),
    },
  };
}

/** The CloudTrail adapter. */
export const awsCloudTrail: SourceAdapter = {
  id: 'aws-cloudtrail',
  dataType: 'aws:cloudtrail:entry',
  provider: 'aws',
  description:
    'AWS CloudTrail events (S3 log files, LookupEvents output, arrays, JSON Lines, EventBridge envelopes; Logstash, Elastic and Splunk exports, console Event history downloads)',
  // 2: user agents without the brackets S3 data events add.
  version: 3,
  matches: (record) => cloudTrailBody(record) !== undefined,
  normalize: normalizeCloudTrail,
  ruleBody: cloudTrailBody,
  fromRow: cloudTrailFromRow,
  origin: cloudTrailOrigin,
  logSources: [{ product: 'aws', service: 'cloudtrail', description: 'AWS CloudTrail records (inside any EventBridge envelope)' }],
  fieldAliases: {
    eventName: { column: 'action' },
    // The normalizer stores eventSource without its `.amazonaws.com` suffix as `service`; every CloudTrail event
    // source carries that suffix, so it is put back. A service with a dot was stored as is; none: read the record.
    eventSource: { column: 'service', toRecord: (s) => (s === '' ? undefined : s.includes('.') ? s : `${s}.amazonaws.com`) },
  },
  derivedFields: CLOUDTRAIL_DERIVED_FIELDS,
  detailPaths: {
    request: ['$.requestParameters', '$.detail.requestParameters'],
    error: ['$.errorMessage', '$.detail.errorMessage'],
    response: ['$.responseElements', '$.detail.responseElements'],
  },
};

/**
 * LookupEvents output (`aws cloudtrail lookup-events`): the records are the `CloudTrailEvent` strings of the `Events`
 * elements, and that string is the raw record (design.md "What raw means").
 */
export const lookupContainer: ContainerFormat = {
  format: 'lookup',
  description: 'an object with an "Events" array whose CloudTrailEvent strings are the records (aws cloudtrail lookup-events)',
  keys: ['Events'],
  unwrap(_bytes, parsed) {
    const inner = asObject(parsed)?.CloudTrailEvent;
    if (typeof inner !== 'string') return { error: 'LookupEvents element has no CloudTrailEvent string' };
    try {
      return { bytes: Buffer.from(inner, 'utf8'), parsed: JSON.parse(inner) as unknown };
    } catch (err) {
      return { error: `CloudTrailEvent string is not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
  },
};
