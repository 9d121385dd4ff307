/**
 * Amazon S3 server access logs: one request per line, space-separated, with a bracketed time and quoted fields
 * (`"GET /bucket/key HTTP/1.1"`, the user agent), no header line. S3 delivers them as objects named
 * `<prefix>YYYY-mm-DD-HH-MM-SS-<unique>` (plain text) in the target bucket. Field list and meanings: Amazon S3 User
 * Guide, "Amazon S3 server access log format". S3 added fields at the end over the years (host header 2019, TLS
 * version 2020, access point ARN 2021, ACL required 2023) and says it may add more: a line needs the 18 fields up to
 * the version id; later ones are read when present, any beyond the known list ignored.
 *
 * They are S3 data-plane API requests (the same calls CloudTrail records as S3 data events), so they are
 * `control_plane` events of class `api_activity` with service `s3`, like CloudTrail's data events: rules and the
 * timeline read them side by side. Pure.
 */
import { asObject, type NormalizeResult } from '../../normalize/event.js';
import { isIP } from 'node:net';
import { sha256Hex } from '../../util/hash.js';
import type { RecordOrigin, SourceAdapter, TableHeader, TextFormat } from '../types.js';
import { roleArnOfSession } from './knowledge.js';

/** Data type of an S3 server access log record. */
export const S3_ACCESS_DATA_TYPE = 'aws:s3access:record';

/** The fields of a line, in order (names as the S3 User Guide writes them, kebab-cased). */
export const S3_ACCESS_FIELDS = [
  'bucket-owner',
  'bucket',
  'time',
  'remote-ip',
  'requester',
  'request-id',
  'operation',
  'key',
  'request-uri',
  'http-status',
  'error-code',
  'bytes-sent',
  'object-size',
  'total-time',
  'turn-around-time',
  'referer',
  'user-agent',
  'version-id',
  'host-id',
  'signature-version',
  'cipher-suite',
  'authentication-type',
  'host-header',
  'tls-version',
  'access-point-arn',
  'acl-required',
] as const;

/** Lines older than the host id carry the first 18 fields. */
const MIN_FIELDS = 18;

const HEADER_NAME = 'aws-s3-server-access (no header line)';

const TIME_RE = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Epoch ms of an access log time (`06/Feb/2019:00:00:38 +0000`), or undefined. */
export function s3AccessTime(v: string | undefined): number | undefined {
  const m = v === undefined ? null : TIME_RE.exec(v);
  if (!m) return undefined;
  const [, d, mon, y, h, mi, s, sign, oh, om] = m;
  const month = MONTHS.indexOf(mon ?? '');
  if (month < 0) return undefined;
  const t = Date.UTC(Number(y), month, Number(d), Number(h), Number(mi), Number(s));
  const date = new Date(t);
  if (date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return undefined;
  const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  return t - offset;
}

/**
 * The header an access log line implies: the bucket owner's canonical id, the bucket, a bracketed time, and an
 * operation (`REST.GET.OBJECT`, `BATCH.DELETE.OBJECT`, `S3.EXPIRE.OBJECT`, `WEBSITE.GET.OBJECT`...) where they belong.
 */
function impliedS3AccessHeader(line: string): TableHeader | undefined {
  // Cheap checks on the raw text first: a canonical id (or `-`), then the bracket of the time.
  if (!/^(?:[0-9a-f]{64}|-) \S+ \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:/.test(line)) return undefined;
  const tokens = /^\S+ \S+ \[[^\]]+\] \S+ \S+ \S+ ([A-Z0-9_]+(?:\.[A-Z0-9_]+)+) /.exec(line);
  if (!tokens) return undefined;
  return { format: 'text', name: HEADER_NAME, columns: [...S3_ACCESS_FIELDS], minColumns: MIN_FIELDS };
}

/** The `s3access` text format. */
export const s3AccessTextFormat: TextFormat = {
  format: 's3access',
  description: 'Amazon S3 server access log text (one request per line, no header; the objects S3 writes to the target bucket)',
  headerOf: () => undefined,
  impliedHeader: impliedS3AccessHeader,
};

/** An access log record: the line's fields by name (values as written, quotes and brackets removed). */
export type S3AccessRecord = Record<string, string>;

function isS3AccessRecord(record: unknown): record is S3AccessRecord {
  const o = asObject(record);
  if (!o) return false;
  return typeof o['request-id'] === 'string' && typeof o['bucket-owner'] === 'string' && typeof o.operation === 'string' && typeof o.time === 'string';
}

/** The record a line stands for. */
export function s3AccessFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  if (header.format !== 'text' || header.name !== HEADER_NAME) return undefined;
  const record: S3AccessRecord = {};
  header.columns.forEach((c, i) => {
    const v = row[i];
    if (typeof v === 'string') record[c] = v;
  });
  return { record, origin: 'native' };
}

const present = (v: string | undefined): string | undefined => (v === undefined || v === '-' || v === '' ? undefined : v);

/** A key as logged (URL-encoded) in plain text; as logged when it does not decode. */
function decodeKey(k: string): string {
  try {
    return decodeURIComponent(k.replace(/\+/g, '%20'));
  } catch {
    return k;
  }
}

/**
 * The event id: S3's request id is its own id of the request, but one multi-object request (DeleteObjects, a batch
 * operation) writes one line per key under the same id, so the operation and the key are part of the identity.
 */
export function s3AccessEventId(r: S3AccessRecord): string {
  return `s3access:${r['request-id'] ?? ''}:${sha256Hex(`${r.operation ?? ''} ${r.key ?? ''}`).slice(0, 16)}`;
}

/** Pure mapping of one access log record to the common schema. */
export function normalizeS3Access(record: unknown, rawSha256: string): NormalizeResult {
  if (!isS3AccessRecord(record)) return { ok: false, reason: 'not an S3 server access log record' };
  const r = record;
  const ms = s3AccessTime(r.time);
  if (ms === undefined) return { ok: false, reason: `S3 access log time [${(r.time ?? '').slice(0, 40)}] is not a time like [06/Feb/2019:00:00:38 +0000]` };
  const status = Number(r['http-status']);
  if (!Number.isInteger(status)) return { ok: false, reason: `S3 access log HTTP status ${JSON.stringify(r['http-status']?.slice(0, 20))} is not a number` };
  const requester = present(r.requester);
  const isArn = requester?.startsWith('arn:') === true;
  const session = requester !== undefined && /:assumed-role\//.test(requester) ? requester : undefined;
  const bucket = present(r.bucket);
  const key = present(r.key);
  const resources: string[] = [];
  if (bucket !== undefined) resources.push(key !== undefined ? `arn:aws:s3:::${bucket}/${decodeKey(key)}` : `arn:aws:s3:::${bucket}`);
  const ap = present(r['access-point-arn']);
  if (ap !== undefined) resources.push(ap);
  const op = r.operation ?? '';
  const method = /^(?:REST|WEBSITE)\.([A-Z]+)\./.exec(op)?.[1];
  const ip = present(r['remote-ip']);
  const requestId = present(r['request-id']);
  return {
    ok: true,
    event: {
      id: requestId !== undefined ? s3AccessEventId(r) : `sha256:${rawSha256}`,
      dataType: S3_ACCESS_DATA_TYPE,
      class: 'api_activity',
      time: new Date(ms).toISOString(),
      timeMs: ms,
      provider: 'aws',
      layer: 'control_plane',
      account: session !== undefined || isArn ? /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(requester ?? '')?.[1] : undefined,
      region: /\.s3[.-]([a-z]{2}-[a-z]+-\d)\.amazonaws\.com$/.exec(present(r['host-header']) ?? '')?.[1],
      service: 's3',
      action: op,
      actor: {
        principal: requester,
        // `-`: an unauthenticated (anonymous) request; a 64-hex value is a canonical user id.
        type:
          requester === undefined
            ? 'Anonymous'
            : session !== undefined
              ? 'AssumedRole'
              : requester.includes(':user/')
                ? 'IAMUser'
                : requester.endsWith(':root')
                  ? 'Root'
                  : /^[0-9a-f]{64}$/.test(requester)
                    ? 'CanonicalUser'
                    : undefined,
        name: isArn ? requester?.split('/').pop() : undefined,
        session,
        assumedFrom: session !== undefined ? roleArnOfSession(session) : undefined,
      },
      srcIp: ip !== undefined && isIP(ip) !== 0 ? ip : undefined,
      srcHost: ip !== undefined && isIP(ip) === 0 ? ip : undefined,
      userAgent: present(r['user-agent']),
      outcome: status >= 400 ? 'failure' : 'success',
      errorCode: present(r['error-code']) ?? (status >= 400 ? String(status) : undefined),
      readOnly: method === undefined ? undefined : method === 'GET' || method === 'HEAD' || method === 'OPTIONS',
      resources,
    },
  };
}

/** The S3 server access log adapter (records come only from text lines: see {@link s3AccessTextFormat}). */
export const awsS3AccessLog: SourceAdapter = {
  id: 'aws-s3-access',
  dataType: S3_ACCESS_DATA_TYPE,
  provider: 'aws',
  description: 'Amazon S3 server access logs (text, one request per line)',
  version: 1,
  matches: isS3AccessRecord,
  normalize: normalizeS3Access,
  fromRow: s3AccessFromRow,
  logSources: [{ product: 'aws', service: 's3_server_access', description: 'Amazon S3 server access log records (fields by their kebab-case names: requester, operation, key, http-status, bytes-sent...)' }],
  fieldAliases: { operation: { column: 'action' } },
};
