/**
 * CloudTrail as SIEMs, pipelines and the console export it (issue 12 item 9): each shape is recognised by
 * `--format auto` and read back into the CloudTrail record it stands for. Pure.
 *
 * - Logstash (`codec => cloudtrail`): the record with `eventTime` moved to `@timestamp` (and `disableApiTermination`
 *   wrapped in `{value}`), plus `@version`, `host`, `tags`... -> reshaped; eventTime from `@timestamp`.
 * - Elastic documents (Filebeat / Elastic Agent AWS integration): `event.original` holding the CloudTrail JSON is
 *   the raw evidence when present (the record's own bytes -> native); without it the `aws.cloudtrail.*` and ECS fields
 *   are mapped back -> reshaped. Search hits (`_source`) and dotted keys (`"aws.cloudtrail.event_version"`) too.
 * - Splunk JSON exports: `_raw` (or `result._raw` in the export API's `{"preview":..,"result":{..}}` lines) is the
 *   record's own bytes -> native.
 * - The CloudTrail console's Event history downloads: JSON elements carrying a `CloudTrailEvent` string (its bytes are
 *   the record, as for LookupEvents -> native) or only the console's fields (`EventId`, `EventName`, `EventTime`,
 *   `Username`, `Resources`... -> reshaped); CSV rows (`Event name`, `Event time`, `User name`, ... -> reshaped).
 */
import { asObject, asString } from '../../normalize/event.js';
import type { RecordOrigin, TableHeader } from '../types.js';

/** A value at a dotted path, through nested objects and dotted keys alike (`{"aws":{"cloudtrail.x":1}}`). */
export function pathValue(o: Record<string, unknown> | undefined, path: string): unknown {
  if (!o) return undefined;
  if (Object.hasOwn(o, path)) return o[path];
  let dot = path.indexOf('.');
  while (dot !== -1) {
    const head = path.slice(0, dot);
    const child = asObject(o[head]);
    if (child) {
      const v = pathValue(child, path.slice(dot + 1));
      if (v !== undefined) return v;
    }
    dot = path.indexOf('.', dot + 1);
  }
  return undefined;
}

/** An Elastic search hit's document (`_source`), else the object itself. */
function elasticDoc(o: Record<string, unknown>): Record<string, unknown> {
  return asObject(o._source) ?? o;
}

/** Text that may be a JSON object (a record embedded as a string). */
function jsonText(v: unknown): string | undefined {
  return typeof v === 'string' && v.trimStart().startsWith('{') ? v : undefined;
}

/**
 * The CloudTrail record another document carries as text, whose bytes are the raw record (native): Elastic's
 * `event.original`, Splunk's `_raw` / `result._raw`, the console download's `CloudTrailEvent`. Undefined otherwise.
 */
export function embeddedCloudTrail(element: unknown): string | undefined {
  const o = asObject(element);
  if (!o) return undefined;
  const direct = jsonText(o._raw) ?? jsonText(asObject(o.result)?._raw) ?? jsonText(o.CloudTrailEvent);
  if (direct !== undefined) return direct;
  return jsonText(pathValue(elasticDoc(o), 'event.original'));
}

/** True for an Elastic document of the AWS CloudTrail integration. */
function isElasticCloudTrail(doc: Record<string, unknown>): boolean {
  return pathValue(doc, 'aws.cloudtrail') !== undefined || pathValue(doc, 'aws.cloudtrail.event_version') !== undefined || pathValue(doc, 'event.dataset') === 'aws.cloudtrail';
}

function parsedOr(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

function boolOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = asString(v)?.toLowerCase();
  return s === 'true' ? true : s === 'false' ? false : undefined;
}

/** Drop undefined members (nested), so the record reads like one CloudTrail wrote. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const child = asObject(v);
    if (child && !Array.isArray(v)) {
      const c = compact(child);
      if (Object.keys(c).length > 0) out[k] = c;
    } else out[k] = v;
  }
  return out;
}

/** An Elastic document's `aws.cloudtrail.*` and ECS fields as the CloudTrail record they were made from. */
function fromElastic(doc: Record<string, unknown>): Record<string, unknown> {
  const g = (p: string): unknown => pathValue(doc, p);
  const s = (p: string): string | undefined => asString(g(p));
  const ct = 'aws.cloudtrail.';
  const ui = `${ct}user_identity.`;
  const sc = `${ui}session_context.`;
  const resources = g(`${ct}resources`);
  const resList = Array.isArray(resources) ? resources : asObject(resources) ? [resources] : [];
  return compact({
    eventVersion: s(`${ct}event_version`),
    userIdentity: {
      type: s(`${ui}type`),
      principalId: s('user.id') ?? s(`${ui}principal_id`),
      arn: s(`${ui}arn`),
      accountId: s('cloud.account.id') ?? s(`${ui}account_id`),
      accessKeyId: s(`${ui}access_key_id`),
      userName: s('user.name'),
      invokedBy: s(`${ui}invoked_by`),
      sessionContext: {
        attributes: { mfaAuthenticated: s(`${sc}mfa_authenticated`), creationDate: s(`${sc}creation_date`) },
        sessionIssuer: {
          type: s(`${sc}session_issuer.type`),
          principalId: s(`${sc}session_issuer.principal_id`),
          arn: s(`${sc}session_issuer.arn`),
          accountId: s(`${sc}session_issuer.account_id`),
          userName: s('role.name') ?? s(`${sc}session_issuer.user_name`),
        },
      },
    },
    eventTime: s('@timestamp'),
    eventSource: s('event.provider'),
    eventName: s('event.action'),
    awsRegion: s('cloud.region'),
    sourceIPAddress: s('source.address') ?? s('source.ip'),
    userAgent: s('user_agent.original'),
    errorCode: s(`${ct}error_code`),
    errorMessage: s(`${ct}error_message`),
    requestParameters: g(`${ct}flattened.request_parameters`) ?? parsedOr(g(`${ct}request_parameters`)),
    responseElements: g(`${ct}flattened.response_elements`) ?? parsedOr(g(`${ct}response_elements`)),
    additionalEventData: g(`${ct}flattened.additional_eventdata`) ?? parsedOr(g(`${ct}additional_eventdata`)),
    requestID: s(`${ct}request_id`),
    eventID: s('event.id'),
    readOnly: boolOf(g(`${ct}read_only`)),
    resources: resList.length > 0 ? resList.map((r) => compact({ ARN: asString(asObject(r)?.arn) ?? asString(asObject(r)?.ARN), type: asString(asObject(r)?.type), accountId: asString(asObject(r)?.account_id) })) : undefined,
    eventType: s(`${ct}event_type`),
    managementEvent: boolOf(g(`${ct}management_event`)),
    recipientAccountId: s(`${ct}recipient_account_id`),
    eventCategory: s(`${ct}event_category`),
    sharedEventID: s(`${ct}shared_event_id`),
    vpcEndpointId: s(`${ct}vpc_endpoint_id`),
  });
}

/** A Logstash event of the cloudtrail codec: `@timestamp` instead of `eventTime`. */
function fromLogstash(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o, eventTime: o['@timestamp'] };
  // The codec wraps a scalar disableApiTermination in {value} (an Elasticsearch mapping work-around): unwrap it.
  const req = asObject(o.requestParameters);
  const dat = asObject(req?.disableApiTermination);
  if (req && dat && Object.keys(dat).length === 1 && 'value' in dat) out.requestParameters = { ...req, disableApiTermination: dat.value };
  return out;
}

/** The console download's JSON element without its CloudTrailEvent: the fields the console shows. */
function isConsoleEvent(o: Record<string, unknown>): boolean {
  return typeof o.EventName === 'string' && typeof o.EventSource === 'string' && 'EventTime' in o && ('EventId' in o || 'Username' in o);
}

function fromConsoleEvent(o: Record<string, unknown>): Record<string, unknown> {
  const time = o.EventTime;
  const res = Array.isArray(o.Resources) ? o.Resources : [];
  return compact({
    eventTime: typeof time === 'number' ? new Date(time * (time < 1e12 ? 1000 : 1)).toISOString() : asString(time),
    eventSource: asString(o.EventSource),
    eventName: asString(o.EventName),
    eventID: asString(o.EventId),
    readOnly: boolOf(o.ReadOnly),
    userIdentity: { accessKeyId: asString(o.AccessKeyId), userName: asString(o.Username) },
    resources: res.map((r) => compact({ ARN: asString(asObject(r)?.ResourceName), type: asString(asObject(r)?.ResourceType) })),
  });
}

/**
 * The CloudTrail record an exported document stands for, when it is one of the reshaped shapes (Logstash, an Elastic
 * document without `event.original`, a console JSON element without `CloudTrailEvent`); undefined otherwise.
 */
export function reshapedCloudTrail(o: Record<string, unknown>): Record<string, unknown> | undefined {
  if (typeof o['@timestamp'] === 'string' && (typeof o.eventName === 'string' || typeof o.eventSource === 'string')) return fromLogstash(o);
  const doc = elasticDoc(o);
  if (isElasticCloudTrail(doc) && embeddedCloudTrail(o) === undefined) return fromElastic(doc);
  if (isConsoleEvent(o) && jsonText(o.CloudTrailEvent) === undefined) return fromConsoleEvent(o);
  return undefined;
}

// ---- Console Event history CSV ----

/** Console CSV column (lower case) -> CloudTrail field. */
const CONSOLE_COLUMNS: Record<string, string> = {
  'event name': 'eventName',
  'event time': 'eventTime',
  'event source': 'eventSource',
  'event id': 'eventID',
  'user name': 'userName',
  'aws access key': 'accessKeyId',
  'aws region': 'awsRegion',
  'source ip address': 'sourceIPAddress',
  'error code': 'errorCode',
  'read-only': 'readOnly',
  'resource type': 'resourceType',
  'resource name': 'resourceName',
  'cloudtrail event': 'cloudTrailEvent',
};

/** A row of the console's Event history CSV download as a CloudTrail record (reshaped), or undefined. */
export function cloudTrailFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  if (header.format !== 'csv') return undefined;
  const f: Record<string, string> = {};
  let known = 0;
  for (let i = 0; i < header.columns.length; i++) {
    const k = CONSOLE_COLUMNS[(header.columns[i] as string).trim().toLowerCase()];
    if (k === undefined) continue;
    known++;
    const v = row[i];
    if (typeof v === 'string' && v !== '') f[k] = v;
  }
  if (known < 3) return undefined;
  // A `CloudTrail event` column holding the whole record: read it (the row is still the CSV's re-shaping).
  const full = f.cloudTrailEvent === undefined ? undefined : asObject(parsedOr(f.cloudTrailEvent));
  if (full) return { record: full, origin: 'reshaped' };
  const names = (f.resourceName ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const types = (f.resourceType ?? '').split(',').map((s) => s.trim());
  const record = compact({
    eventTime: f.eventTime,
    eventSource: f.eventSource,
    eventName: f.eventName,
    eventID: f.eventID,
    awsRegion: f.awsRegion,
    sourceIPAddress: f.sourceIPAddress,
    errorCode: f.errorCode,
    readOnly: boolOf(f.readOnly),
    userIdentity: { userName: f.userName, accessKeyId: f.accessKeyId },
    resources: names.length > 0 ? names.map((n, i) => compact({ ARN: n, type: types[i] ?? types[0] })) : undefined,
  });
  return { record, origin: 'reshaped' };
}

/** Whether a record the CloudTrail adapter accepted is CloudTrail's own bytes or an export's re-shaping. */
export function cloudTrailOrigin(record: unknown): RecordOrigin {
  const o = asObject(record);
  if (!o) return 'native';
  // Keys a pipeline adds (`@timestamp`, `@version`) make it another shape even when eventTime stayed.
  if ('@timestamp' in o || '@version' in o) return 'reshaped';
  if ('eventTime' in o || 'detail' in o) return 'native';
  return reshapedCloudTrail(o) ? 'reshaped' : 'native';
}
