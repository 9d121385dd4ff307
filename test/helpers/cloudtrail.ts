/**
 * Deterministic synthetic CloudTrail records and files for import tests (no real accounts, keys or addresses:
 * account 111122223333 and RFC 5737 IPs).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Who performs a synthetic event. */
export type Who = 'alice' | 'ci-role' | 'root' | 'service';

/** Options of one synthetic record. */
export interface CtOptions {
  /** Event time (ISO). @default 2024-03-01T10:00:00Z plus i seconds */
  time?: string;
  who?: Who;
  eventSource?: string;
  eventName?: string;
  ip?: string;
  errorCode?: string;
  /** Extra request parameters. */
  requestParameters?: Record<string, unknown>;
}

const ACCOUNT = '111122223333';
const BASE_MS = Date.UTC(2024, 2, 1, 10, 0, 0);

function identity(who: Who): Record<string, unknown> {
  switch (who) {
    case 'alice':
      return { type: 'IAMUser', principalId: 'AIDAEXAMPLEALICE0001', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, accessKeyId: 'AKIAEXAMPLEALICE0001', userName: 'alice' };
    case 'ci-role':
      return {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEDEPLOY001:ci-session',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci-session`,
        accountId: ACCOUNT,
        accessKeyId: 'ASIAEXAMPLECISESS001',
        sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEDEPLOY001', arn: `arn:aws:iam::${ACCOUNT}:role/deploy`, accountId: ACCOUNT, userName: 'deploy' } },
      };
    case 'root':
      return { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT };
    case 'service':
      return { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' };
  }
}

/** The event id of synthetic record `i` (stable). */
export function ctEventId(i: number, salt = 0): string {
  const h = (i * 2654435761 + salt * 97) >>> 0;
  return `${h.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/** One synthetic CloudTrail record (as an object). */
export function ctRecord(i: number, o: CtOptions = {}, salt = 0): Record<string, unknown> {
  const who = o.who ?? 'alice';
  const rec: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: identity(who),
    eventTime: o.time ?? new Date(BASE_MS + i * 1000).toISOString().replace('.000Z', 'Z'),
    eventSource: o.eventSource ?? 's3.amazonaws.com',
    eventName: o.eventName ?? 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: who === 'service' ? 'ec2.amazonaws.com' : (o.ip ?? '203.0.113.7'),
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { bucketName: 'example-bucket', key: `obj-${i}`, ...o.requestParameters },
    responseElements: null,
    requestID: `req-${i}-${salt}`,
    eventID: ctEventId(i, salt),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: ACCOUNT,
  };
  if (o.errorCode) {
    rec.errorCode = o.errorCode;
    rec.errorMessage = 'denied';
  }
  return rec;
}

/** `{"Records":[...]}` text of the given records (already-serialized strings are used verbatim). */
export function s3LogText(records: Array<Record<string, unknown> | string>): string {
  return `{"Records":[${records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join(',')}]}`;
}

/** Write a file, creating its directory. */
export function writeFile(path: string, data: string | Buffer): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
}

/** Write gzip-compressed text. */
export function writeGz(path: string, text: string | Buffer): string {
  return writeFile(path, gzipSync(text));
}

/** `n` records numbered from `from`. */
export function ctRecords(n: number, from = 0, o: CtOptions = {}): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, k) => ctRecord(from + k, o));
}
