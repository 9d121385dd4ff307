/**
 * Ports of the collect stage: what it needs from AWS, as plain data. The one implementation using the AWS SDKs is
 * `clients/aws.ts`; tests can substitute their own.
 */
import type { Readable } from 'node:stream';

/** The HTTP response body of one API call, as received (before any SDK parsing). */
export interface RawPage {
  /** SHA-256 of the response body bytes. */
  sha256: string;
  /** Body size in bytes. */
  size: number;
  /** `body`: hashed from the raw HTTP body; `canonical`: the raw body was not reachable, hashed a canonical re-serialization. */
  hashOf: 'body' | 'canonical';
}

/** LookupEvents attribute keys (the API accepts one per call). */
export type LookupAttributeKey = 'EventId' | 'EventName' | 'ReadOnly' | 'Username' | 'ResourceType' | 'ResourceName' | 'EventSource' | 'AccessKeyId';

/** One LookupEvents request. */
export interface LookupEventsRequest {
  /** Inclusive start. */
  startTime: Date;
  /** Inclusive end. */
  endTime: Date;
  /** The one server-side attribute filter. */
  attribute?: { key: LookupAttributeKey; value: string } | undefined;
  /** Continuation token. */
  nextToken?: string | undefined;
  /** Page size (the API's maximum is 50). */
  maxResults: number;
}

/** One event of a LookupEvents page (the fields irctl uses). */
export interface LookupEvent {
  eventId?: string | undefined;
  eventName?: string | undefined;
  eventSource?: string | undefined;
  username?: string | undefined;
  accessKeyId?: string | undefined;
  eventTime?: Date | undefined;
  /** Resource names listed with the event. */
  resourceNames: string[];
  /** The CloudTrail record as the JSON string the API returned: the raw record. */
  cloudTrailEvent?: string | undefined;
}

/** One LookupEvents page. */
export interface LookupEventsPage {
  events: LookupEvent[];
  nextToken?: string | undefined;
  raw: RawPage;
}

/** One page of CloudTrail Lake query results. */
export interface LakeResultsPage {
  /** QUEUED | RUNNING | FINISHED | FAILED | CANCELLED | TIMED_OUT. */
  status: string;
  /** Rows: each a list of one-key maps `{column: value}`. */
  rows: Array<Array<Record<string, string>>>;
  nextToken?: string | undefined;
  errorMessage?: string | undefined;
  raw: RawPage;
}

/** CloudTrail. */
export interface CloudTrailPort {
  lookupEvents(region: string, req: LookupEventsRequest, signal?: AbortSignal): Promise<LookupEventsPage>;
  startQuery(region: string, sql: string, signal?: AbortSignal): Promise<{ queryId: string; raw: RawPage }>;
  getQueryResults(region: string, queryId: string, nextToken: string | undefined, signal?: AbortSignal): Promise<LakeResultsPage>;
}

/** Who the credentials belong to. */
export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

/** STS. */
export interface StsPort {
  callerIdentity(signal?: AbortSignal): Promise<CallerIdentity>;
}

/** EC2 describe calls collected as context. */
export const EC2_KINDS = ['instance', 'security-group', 'network-interface', 'volume', 'address', 'iam-instance-profile-association'] as const;
/** Kind of EC2 context record (data type `aws:ec2:<kind>`). */
export type Ec2Kind = (typeof EC2_KINDS)[number];

/** One page of an EC2 describe call. */
export interface Ec2Page {
  /** API operation, e.g. DescribeInstances. */
  operation: string;
  /** Items as the SDK parsed them (plain JSON: dates as ISO strings). */
  items: Array<Record<string, unknown>>;
  nextToken?: string | undefined;
  raw: RawPage;
}

/** EC2. */
export interface Ec2Port {
  /** Regions enabled for the account (opt-in regions only when opted in). */
  describeRegions(signal?: AbortSignal): Promise<Array<{ name: string; optInStatus: string | undefined }>>;
  describe(kind: Ec2Kind, region: string, nextToken: string | undefined, signal?: AbortSignal): Promise<Ec2Page>;
}

/** One object listed in S3. */
export interface S3ObjectInfo {
  key: string;
  size: number | undefined;
  etag: string | undefined;
}

/** S3. */
export interface S3Port {
  list(
    bucket: string,
    prefix: string,
    opts: { delimiter?: string; token?: string | undefined },
    signal?: AbortSignal,
  ): Promise<{ objects: S3ObjectInfo[]; prefixes: string[]; nextToken?: string | undefined }>;
  get(bucket: string, key: string, signal?: AbortSignal): Promise<{ body: Readable; size: number | undefined; etag: string | undefined }>;
}

/** One FilterLogEvents request (CloudWatch Logs). */
export interface FilterLogEventsRequest {
  /** Log group name. */
  logGroupName: string;
  /** Inclusive start, epoch ms. */
  startTime: number;
  /** Inclusive end, epoch ms. */
  endTime: number;
  nextToken?: string | undefined;
  /** Events per page (the API's maximum is 10,000). */
  limit: number;
}

/** One log event of a FilterLogEvents page. */
export interface LogEvent {
  logStreamName?: string | undefined;
  /** Event time, epoch ms. */
  timestamp?: number | undefined;
  /** The message: for Bedrock invocation logs, the invocation log record as JSON text (the raw record). */
  message?: string | undefined;
  eventId?: string | undefined;
}

/** One FilterLogEvents page. */
export interface FilterLogEventsPage {
  events: LogEvent[];
  nextToken?: string | undefined;
  raw: RawPage;
}

/** CloudWatch Logs. */
export interface LogsPort {
  filterLogEvents(region: string, req: FilterLogEventsRequest, signal?: AbortSignal): Promise<FilterLogEventsPage>;
}

/** Everything the collect stage talks to. */
export interface AwsPorts {
  cloudtrail: CloudTrailPort;
  sts: StsPort;
  ec2: Ec2Port;
  s3: S3Port;
  /** CloudWatch Logs (`--bedrock-logs`); absent in ports built without it. */
  logs?: LogsPort | undefined;
  /** Release sockets. */
  close(): void;
}

/** How a failed call should be treated. */
export type AwsErrorClass = 'throttle' | 'transient' | 'fatal';

/** A failed AWS call, normalized so that the stage never depends on SDK error shapes. */
export class AwsApiError extends Error {
  /** Service and operation, e.g. `cloudtrail:LookupEvents` (also the IAM action name). */
  readonly action: string;
  /** Region of the call. */
  readonly region: string;
  /** AWS error code (AccessDeniedException, ThrottlingException...) or a network code (ECONNRESET). */
  readonly code: string;
  /** HTTP status, when a response came back. */
  readonly httpStatus: number | undefined;
  /** Retry class. */
  readonly retryClass: AwsErrorClass;

  constructor(
    message: string,
    action: string,
    region: string,
    code: string,
    httpStatus: number | undefined,
    retryClass: AwsErrorClass,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AwsApiError';
    this.action = action;
    this.region = region;
    this.code = code;
    this.httpStatus = httpStatus;
    this.retryClass = retryClass;
  }
}
