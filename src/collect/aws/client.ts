/**
 * The AWS adapter: the only module that imports AWS SDKs (style.md §1). Implements the collect ports with
 * @aws-sdk/client-cloudtrail, -ec2, -s3 and -sts, and turns every SDK failure into an {@link AwsApiError}.
 *
 * Endpoints: the standard `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL` variables are read from the
 * environment irctl was given (so a user can aim it at LocalStack, moto or a proxy without a flag).
 * Credentials: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`(/`AWS_SESSION_TOKEN`) from that environment, else the SDK's
 * default chain (shared config and credentials files, SSO, web identity, container and instance metadata), with
 * `--profile` choosing the profile and `--role-arn` assuming a role on top.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CloudTrailClient,
  GetQueryResultsCommand,
  LookupEventsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, DeserializeMiddleware } from '@smithy/types';
import { canonicalJson } from '../../util/hash.js';
import {
  AwsApiError,
  type AwsErrorClass,
  type AwsPorts,
  type Ec2Kind,
  type Ec2Page,
  type FilterLogEventsPage,
  type LakeResultsPage,
  type LookupEventsPage,
  type RawPage,
} from './ports.js';

/** How to reach AWS. */
export interface AwsConnectOptions {
  /** Environment to read endpoints and credentials from. */
  env: NodeJS.ProcessEnv;
  /** Named profile (`--profile`). */
  profile?: string | undefined;
  /** Role to assume (`--role-arn`). */
  roleArn?: string | undefined;
  /** External id for the role (`--external-id`). */
  externalId?: string | undefined;
  /** Region for global calls (STS, DescribeRegions, S3 listing). */
  homeRegion: string;
  /**
   * SDK attempts for CloudTrail calls. @default 1 — irctl retries CloudTrail itself, so that every attempt waits
   * for a token of the per-region rate limiter (an SDK-internal retry would bypass it).
   */
  cloudTrailMaxAttempts?: number;
  /** SDK attempts for EC2, S3 and STS calls (SDK standard retry mode). @default 3 */
  otherMaxAttempts?: number;
  /** Socket timeout per request in ms. @default 30000 */
  requestTimeoutMs?: number;
}

type ServiceId = 'CLOUDTRAIL' | 'EC2' | 'S3' | 'STS' | 'IAM' | 'CLOUDWATCH_LOGS' | 'AUTO_SCALING' | 'ELASTIC_LOAD_BALANCING_V2';

/** Endpoint override from the standard variables: service-specific first, then the global one. */
export function endpointFor(service: ServiceId, env: NodeJS.ProcessEnv): string | undefined {
  const ignore = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
  if (ignore !== undefined && ignore.toLowerCase() === 'true') return undefined;
  const v = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

/** Credentials as `collect aws` and `contain` resolve them (environment, profile, role on top). */
export function credentialsFor(opts: AwsConnectOptions, sessionPrefix = 'irctl-collect'): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  const env = opts.env;
  let base: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  if (opts.profile === undefined && nonEmpty(env.AWS_ACCESS_KEY_ID) && nonEmpty(env.AWS_SECRET_ACCESS_KEY)) {
    base = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(nonEmpty(env.AWS_SESSION_TOKEN) ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  } else {
    base = fromNodeProviderChain({
      ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
      ...(nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE) ? { filepath: env.AWS_SHARED_CREDENTIALS_FILE } : {}),
      ...(nonEmpty(env.AWS_CONFIG_FILE) ? { configFilepath: env.AWS_CONFIG_FILE } : {}),
    });
  }
  if (opts.roleArn === undefined) return base;
  const stsEndpoint = endpointFor('STS', env);
  return fromTemporaryCredentials({
    masterCredentials: base,
    params: {
      RoleArn: opts.roleArn,
      RoleSessionName: `${sessionPrefix}-${Date.now()}`,
      ...(opts.externalId !== undefined ? { ExternalId: opts.externalId } : {}),
    },
    clientConfig: { region: opts.homeRegion, ...(stsEndpoint !== undefined ? { endpoint: stsEndpoint } : {}) },
  });
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}

/** Holder filled by {@link rawBodyMiddleware} with the hash of the response body of the last attempt. */
interface RawHolder {
  raw?: RawPage;
}

/**
 * Deserialize-step middleware placed inside the SDK's deserializer: it sees the HTTP response before parsing,
 * reads the body once, hashes the exact bytes, and hands the SDK an identical stream.
 */
function rawBodyMiddleware(holder: RawHolder): DeserializeMiddleware<object, object> {
  return (next) => async (args) => {
    const result = await next(args);
    const response = result.response as { body?: unknown } | undefined;
    const body = response?.body;
    if (response && body instanceof Readable) {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
      const buf = Buffer.concat(chunks);
      holder.raw = { sha256: createHash('sha256').update(buf).digest('hex'), size: buf.length, hashOf: 'body' };
      response.body = Readable.from([buf]);
    }
    return result;
  };
}

interface StackCommand {
  middlewareStack: { add(m: DeserializeMiddleware<object, object>, o: { step: 'deserialize'; priority: 'low'; name: string }): void };
}

/** Attach raw-body capture to one command. */
function capture(command: unknown): RawHolder {
  const holder: RawHolder = {};
  (command as StackCommand).middlewareStack.add(rawBodyMiddleware(holder), { step: 'deserialize', priority: 'low', name: 'irctlRawBody' });
  return holder;
}

/** Raw page info; falls back to hashing a canonical re-serialization when the body was not reachable. */
function rawOf(holder: RawHolder, output: unknown): RawPage {
  if (holder.raw) return holder.raw;
  const text = canonicalJson(JSON.parse(JSON.stringify(output, (k, v: unknown) => (k === '$metadata' ? undefined : v))) as unknown);
  return { sha256: createHash('sha256').update(text).digest('hex'), size: Buffer.byteLength(text), hashOf: 'canonical' };
}

const THROTTLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'EC2ThrottledException',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Turn any SDK failure into an {@link AwsApiError}. */
export function toAwsApiError(err: unknown, action: string, region: string): AwsApiError {
  if (err instanceof AwsApiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    code?: unknown;
    Code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    $retryable?: { throttling?: unknown };
  };
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const errno = typeof e.code === 'string' ? e.code : undefined;
  let code = typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : 'Error';
  if (errno !== undefined && NETWORK_CODES.has(errno)) code = errno;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  let cls: AwsErrorClass = 'fatal';
  if (THROTTLE_CODES.has(code) || status === 429 || e.$retryable?.throttling === true) cls = 'throttle';
  else if ((status !== undefined && status >= 500) || NETWORK_CODES.has(code) || code === 'TimeoutError' || code === 'RequestTimeout' || /socket hang up|ECONNRESET|network|timed? ?out/i.test(message))
    cls = code === 'CredentialsProviderError' ? 'fatal' : 'transient';
  if (code === 'AbortError') cls = 'fatal';
  return new AwsApiError(message, action, region, code, status, cls, { cause: err });
}

/** Connect: build per-region clients lazily. */
export function connectAws(opts: AwsConnectOptions): AwsPorts {
  // The SDK warns on every run that its 2027 releases will need Node 22: not actionable for a responder mid-incident
  // (irctl pins SDK versions that support Node 20), so it is off unless the user set the variable themselves.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const credentials = credentialsFor(opts);
  const requestHandler = { requestTimeout: opts.requestTimeoutMs ?? 30_000, connectionTimeout: 10_000 };
  const common = { credentials, requestHandler };
  const ctEndpoint = endpointFor('CLOUDTRAIL', opts.env);
  const ec2Endpoint = endpointFor('EC2', opts.env);
  const s3Endpoint = endpointFor('S3', opts.env);
  const stsEndpoint = endpointFor('STS', opts.env);
  const logsEndpoint = endpointFor('CLOUDWATCH_LOGS', opts.env);
  const logs = new Map<string, CloudWatchLogsClient>();
  const ct = new Map<string, CloudTrailClient>();
  const ec2 = new Map<string, EC2Client>();
  let s3: S3Client | undefined;
  let sts: STSClient | undefined;
  const ctClient = (region: string): CloudTrailClient => {
    let c = ct.get(region);
    if (!c) {
      c = new CloudTrailClient({ ...common, region, maxAttempts: opts.cloudTrailMaxAttempts ?? 1, ...(ctEndpoint ? { endpoint: ctEndpoint } : {}) });
      ct.set(region, c);
    }
    return c;
  };
  const ec2Client = (region: string): EC2Client => {
    let c = ec2.get(region);
    if (!c) {
      c = new EC2Client({ ...common, region, maxAttempts: opts.otherMaxAttempts ?? 3, ...(ec2Endpoint ? { endpoint: ec2Endpoint } : {}) });
      ec2.set(region, c);
    }
    return c;
  };
  const s3Client = (): S3Client =>
    (s3 ??= new S3Client({
      ...common,
      region: opts.homeRegion,
      maxAttempts: opts.otherMaxAttempts ?? 3,
      // Custom endpoints (moto, LocalStack, MinIO) rarely resolve virtual-hosted bucket names.
      ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {}),
      followRegionRedirects: true,
    }));
  const logsClient = (region: string): CloudWatchLogsClient => {
    let c = logs.get(region);
    if (!c) {
      // Retries are irctl's (paced, counted, interruptible), like CloudTrail's.
      c = new CloudWatchLogsClient({ ...common, region, maxAttempts: 1, ...(logsEndpoint ? { endpoint: logsEndpoint } : {}) });
      logs.set(region, c);
    }
    return c;
  };
  const stsClient = (): STSClient =>
    (sts ??= new STSClient({ ...common, region: opts.homeRegion, maxAttempts: opts.otherMaxAttempts ?? 3, ...(stsEndpoint ? { endpoint: stsEndpoint } : {}) }));

  const call = async <T>(action: string, region: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toAwsApiError(err, action, region);
    }
  };
  const sig = (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } => (signal ? { abortSignal: signal } : {});

  return {
    cloudtrail: {
      lookupEvents: (region, req, signal) =>
        call('cloudtrail:LookupEvents', region, async (): Promise<LookupEventsPage> => {
          const cmd = new LookupEventsCommand({
            StartTime: req.startTime,
            EndTime: req.endTime,
            MaxResults: req.maxResults,
            ...(req.nextToken !== undefined ? { NextToken: req.nextToken } : {}),
            ...(req.attribute ? { LookupAttributes: [{ AttributeKey: req.attribute.key, AttributeValue: req.attribute.value }] } : {}),
          });
          const holder = capture(cmd);
          const out = await ctClient(region).send(cmd, sig(signal));
          return {
            events: (out.Events ?? []).map((e) => ({
              eventId: e.EventId,
              eventName: e.EventName,
              eventSource: e.EventSource,
              username: e.Username,
              accessKeyId: e.AccessKeyId,
              eventTime: e.EventTime,
              resourceNames: (e.Resources ?? []).flatMap((r) => (r.ResourceName !== undefined ? [r.ResourceName] : [])),
              cloudTrailEvent: e.CloudTrailEvent,
            })),
            nextToken: out.NextToken,
            raw: rawOf(holder, out),
          };
        }),
      startQuery: (region, sql, signal) =>
        call('cloudtrail:StartQuery', region, async () => {
          const cmd = new StartQueryCommand({ QueryStatement: sql });
          const holder = capture(cmd);
          const out = await ctClient(region).send(cmd, sig(signal));
          if (out.QueryId === undefined) throw new AwsApiError('StartQuery returned no QueryId', 'cloudtrail:StartQuery', region, 'NoQueryId', undefined, 'fatal');
          return { queryId: out.QueryId, raw: rawOf(holder, out) };
        }),
      getQueryResults: (region, queryId, nextToken, signal) =>
        call('cloudtrail:GetQueryResults', region, async (): Promise<LakeResultsPage> => {
          const cmd = new GetQueryResultsCommand({ QueryId: queryId, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) });
          const holder = capture(cmd);
          const out = await ctClient(region).send(cmd, sig(signal));
          return {
            status: out.QueryStatus ?? 'UNKNOWN',
            rows: (out.QueryResultRows ?? []).map((row) => row.map((cell): Record<string, string> => ({ ...cell }))),
            nextToken: out.NextToken,
            errorMessage: out.ErrorMessage,
            raw: rawOf(holder, out),
          };
        }),
    },
    sts: {
      callerIdentity: (signal) =>
        call('sts:GetCallerIdentity', opts.homeRegion, async () => {
          const out = await stsClient().send(new GetCallerIdentityCommand({}), sig(signal));
          return { account: out.Account ?? 'unknown', arn: out.Arn ?? 'unknown', userId: out.UserId ?? 'unknown' };
        }),
    },
    ec2: {
      describeRegions: (signal) =>
        call('ec2:DescribeRegions', opts.homeRegion, async () => {
          const out = await ec2Client(opts.homeRegion).send(new DescribeRegionsCommand({ AllRegions: false }), sig(signal));
          return (out.Regions ?? [])
            .flatMap((r) => (r.RegionName !== undefined && r.OptInStatus !== 'not-opted-in' ? [{ name: r.RegionName, optInStatus: r.OptInStatus }] : []))
            .sort((a, b) => a.name.localeCompare(b.name));
        }),
      describe: (kind, region, nextToken, signal) => describeEc2(ec2Client(region), kind, region, nextToken, signal, call),
    },
    s3: {
      list: (bucket, prefix, o, signal) =>
        call('s3:ListBucket', opts.homeRegion, async () => {
          const out = await s3Client().send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(o.delimiter !== undefined ? { Delimiter: o.delimiter } : {}),
              ...(o.token !== undefined ? { ContinuationToken: o.token } : {}),
            }),
            sig(signal),
          );
          return {
            objects: (out.Contents ?? []).flatMap((c) => (c.Key !== undefined ? [{ key: c.Key, size: c.Size, etag: c.ETag }] : [])),
            prefixes: (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix !== undefined ? [p.Prefix] : [])),
            nextToken: out.IsTruncated === true ? out.NextContinuationToken : undefined,
          };
        }),
      get: (bucket, key, signal) =>
        call('s3:GetObject', opts.homeRegion, async () => {
          const out = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }), sig(signal));
          const body = out.Body;
          if (!(body instanceof Readable)) throw new AwsApiError(`s3://${bucket}/${key}: no body stream`, 's3:GetObject', opts.homeRegion, 'NoBody', undefined, 'transient');
          return { body, size: out.ContentLength, etag: out.ETag };
        }),
    },
    logs: {
      filterLogEvents: (region, req, signal) =>
        call('logs:FilterLogEvents', region, async (): Promise<FilterLogEventsPage> => {
          const cmd = new FilterLogEventsCommand({
            logGroupName: req.logGroupName,
            startTime: req.startTime,
            endTime: req.endTime,
            limit: req.limit,
            ...(req.nextToken !== undefined ? { nextToken: req.nextToken } : {}),
          });
          const holder = capture(cmd);
          const out = await logsClient(region).send(cmd, sig(signal));
          return {
            events: (out.events ?? []).map((e) => ({ logStreamName: e.logStreamName, timestamp: e.timestamp, message: e.message, eventId: e.eventId })),
            nextToken: out.nextToken,
            raw: rawOf(holder, out),
          };
        }),
    },
    close: () => {
      for (const c of ct.values()) c.destroy();
      for (const c of ec2.values()) c.destroy();
      s3?.destroy();
      sts?.destroy();
      for (const c of logs.values()) c.destroy();
    },
  };
}

type Call = <T>(action: string, region: string, fn: () => Promise<T>) => Promise<T>;

/** Plain JSON copy of SDK output (Dates become ISO strings). */
function plain(v: unknown): Array<Record<string, unknown>> {
  return JSON.parse(JSON.stringify(v ?? [])) as Array<Record<string, unknown>>;
}

async function describeEc2(client: EC2Client, kind: Ec2Kind, region: string, nextToken: string | undefined, signal: AbortSignal | undefined, call: Call): Promise<Ec2Page> {
  const tok = nextToken !== undefined ? { NextToken: nextToken } : {};
  const s = signal ? { abortSignal: signal } : {};
  switch (kind) {
    case 'instance':
      return call('ec2:DescribeInstances', region, async () => {
        const cmd = new DescribeInstancesCommand({ MaxResults: 100, ...tok });
        const holder = capture(cmd);
        const out = await client.send(cmd, s);
        // Keep the reservation's owner and id with each instance: the record must stand alone.
        const items = (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => ({ ...i, ReservationId: r.ReservationId, OwnerId: r.OwnerId })));
        return { operation: 'DescribeInstances', items: plain(items), nextToken: out.NextToken, raw: rawOf(holder, out) };
      });
    case 'security-group':
      return call('ec2:DescribeSecurityGroups', region, async () => {
        const cmd = new DescribeSecurityGroupsCommand({ MaxResults: 100, ...tok });
        const holder = capture(cmd);
        const out = await client.send(cmd, s);
        return { operation: 'DescribeSecurityGroups', items: plain(out.SecurityGroups), nextToken: out.NextToken, raw: rawOf(holder, out) };
      });
    case 'network-interface':
      return call('ec2:DescribeNetworkInterfaces', region, async () => {
        const cmd = new DescribeNetworkInterfacesCommand({ MaxResults: 100, ...tok });
        const holder = capture(cmd);
        const out = await client.send(cmd, s);
        return { operation: 'DescribeNetworkInterfaces', items: plain(out.NetworkInterfaces), nextToken: out.NextToken, raw: rawOf(holder, out) };
      });
    case 'volume':
      return call('ec2:DescribeVolumes', region, async () => {
        const cmd = new DescribeVolumesCommand({ MaxResults: 100, ...tok });
        const holder = capture(cmd);
        const out = await client.send(cmd, s);
        return { operation: 'DescribeVolumes', items: plain(out.Volumes), nextToken: out.NextToken, raw: rawOf(holder, out) };
      });
    case 'address':
      return call('ec2:DescribeAddresses', region, async () => {
        const cmd = new DescribeAddressesCommand({});
        const holder = capture(cmd);
        const out = await client.send(cmd, s);
        return { operation: 'DescribeAddresses', items: plain(out.Addresses), raw: rawOf(holder, out) };
      });
    case 'iam-instance-profile-association':
      return call('ec2:DescribeIamInstanceProfileAssociations', region, async () => {
        const cmd = new DescribeIamInstanceProfileAssociationsCommand({ MaxResults: 100, ...tok });
        const holder = capture(cmd);
        const out = await client.send(cmd, s);
        return { operation: 'DescribeIamInstanceProfileAssociations', items: plain(out.IamInstanceProfileAssociations), nextToken: out.NextToken, raw: rawOf(holder, out) };
      });
  }
}
