/**
 * A fake AWS CloudTrail endpoint for tests and benchmarks. Behaviour spec:
 *
 * - Speaks the real wire protocol the SDK uses: `POST /`, `x-amz-target: CloudTrail_20131101.<Op>`,
 *   `application/x-amz-json-1.1`, times as epoch seconds. The region of a request is read from the SigV4 credential
 *   scope in the Authorization header, as AWS routes by endpoint.
 * - LookupEvents: events newest first (ties by EventId), StartTime/EndTime inclusive, one LookupAttribute,
 *   `pageSize` events per page (default 5) with an opaque NextToken bound to the request parameters.
 * - Rate limit per region on LookupEvents: a token bucket of `ratePerSec` (default 2) with burst `burst` (default
 *   `ratePerSec`); over the limit it answers 400 ThrottlingException, as CloudTrail does.
 * - Lake: StartQuery / GetQueryResults / DescribeQuery. The time window is read from `eventtime >= '...'` and
 *   `eventtime <= '...'` in the SQL; rows are `[{"eventjson": <CloudTrailEvent string>}]`. A query is QUEUED, then
 *   RUNNING, then FINISHED on successive polls.
 * - Also answers the query-protocol calls irctl makes before collecting: STS GetCallerIdentity and EC2 DescribeRegions.
 * - Faults are injected per operation/region: ThrottlingException, 500, dropped connection, AccessDenied,
 *   ExpiredToken, UnrecognizedClient (what an opt-in region that is not enabled answers).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One event the fake holds. */
export interface FakeEvent {
  id: string;
  name: string;
  source: string;
  /** Epoch ms (whole seconds, as CloudTrail). */
  time: number;
  username?: string | undefined;
  accessKeyId?: string | undefined;
  resources: string[];
  readOnly: boolean;
  /** The record as a JSON string. */
  cloudTrailEvent: string;
}

/** An injected fault. */
export interface Fault {
  kind: 'throttle' | '500' | 'drop' | 'accessDenied' | 'expiredToken' | 'unrecognizedClient';
  /** Operation name (LookupEvents, StartQuery, GetCallerIdentity, ...); all when absent. */
  op?: string;
  /** Region; all when absent. */
  region?: string;
  /** How many requests it hits. @default 1 */
  times?: number;
}

/** One request the fake saw. */
export interface SeenRequest {
  op: string;
  region: string;
  /** Epoch ms. */
  at: number;
  status: number;
  params: Record<string, unknown>;
}

/** Options. */
export interface FakeCloudTrailOptions {
  pageSize?: number;
  ratePerSec?: number;
  burst?: number;
  account?: string;
  callerArn?: string;
  /** Regions DescribeRegions reports as enabled. */
  enabledRegions?: string[];
  /** Delay added to every response (ms). */
  latencyMs?: number;
  /** Polls that answer QUEUED/RUNNING before a Lake query is FINISHED. @default 2 */
  lakePendingPolls?: number;
}

/** Build a CloudTrail record and its LookupEvents envelope fields. */
export function makeEvent(o: {
  id?: string;
  time: number;
  region: string;
  account?: string;
  name?: string;
  source?: string;
  user?: string;
  accessKeyId?: string;
  resources?: string[];
  sourceIp?: string;
}): FakeEvent {
  const account = o.account ?? '111122223333';
  const id = o.id ?? randomUUID();
  const user = o.user ?? 'alice';
  const akid = o.accessKeyId ?? 'AKIAEXAMPLEALICE0001';
  const name = o.name ?? 'DescribeInstances';
  const source = o.source ?? 'ec2.amazonaws.com';
  const time = Math.floor(o.time / 1000) * 1000;
  const record = {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${account}:user/${user}`, accountId: account, accessKeyId: akid, userName: user },
    eventTime: new Date(time).toISOString().replace('.000Z', 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: o.region,
    sourceIPAddress: o.sourceIp ?? '203.0.113.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    requestID: randomUUID(),
    eventID: id,
    readOnly: /^(Describe|Get|List|Lookup)/.test(name),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  };
  // Key order and spacing as CloudTrail writes them; the exact string is what irctl must keep.
  return {
    id,
    name,
    source,
    time,
    username: user,
    accessKeyId: akid,
    resources: o.resources ?? [],
    readOnly: record.readOnly,
    cloudTrailEvent: JSON.stringify(record),
  };
}

interface Bucket {
  tokens: number;
  last: number;
}

interface LakeQuery {
  id: string;
  sql: string;
  polls: number;
  rows: FakeEvent[];
}

/** The fake server. */
export class FakeCloudTrail {
  readonly events = new Map<string, FakeEvent[]>();
  readonly faults: Fault[] = [];
  readonly seen: SeenRequest[] = [];
  readonly lakeQueries: LakeQuery[] = [];
  /** Bodies of the LookupEvents pages sent, exactly as sent. */
  readonly sentPages: string[] = [];
  opts: Required<Omit<FakeCloudTrailOptions, 'burst'>> & { burst: number };
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly buckets = new Map<string, Bucket>();
  url = '';

  constructor(opts: FakeCloudTrailOptions = {}) {
    const rate = opts.ratePerSec ?? 2;
    this.opts = {
      pageSize: opts.pageSize ?? 5,
      ratePerSec: rate,
      burst: opts.burst ?? rate,
      account: opts.account ?? '111122223333',
      callerArn: opts.callerArn ?? `arn:aws:iam::${opts.account ?? '111122223333'}:user/responder`,
      enabledRegions: opts.enabledRegions ?? ['eu-west-1', 'us-east-1', 'us-west-2'],
      latencyMs: opts.latencyMs ?? 0,
      lakePendingPolls: opts.lakePendingPolls ?? 2,
    };
  }

  /** Add events to a region. */
  add(region: string, evs: FakeEvent[]): void {
    const list = this.events.get(region) ?? [];
    list.push(...evs);
    list.sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.events.set(region, list);
  }

  /** Queue a fault. */
  inject(f: Fault): void {
    this.faults.push({ ...f, times: f.times ?? 1 });
  }

  /** Requests of one operation (and region). */
  requests(op: string, region?: string): SeenRequest[] {
    return this.seen.filter((r) => r.op === op && (region === undefined || r.region === region));
  }

  /** Largest number of accepted (200) requests of `op` in `region` inside any window of `windowMs`. */
  maxInWindow(op: string, region: string, windowMs = 1000): number {
    const times = this.requests(op, region)
      .filter((r) => r.status === 200)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    let best = 0;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= windowMs) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    return best;
  }

  /** Start on 127.0.0.1 and a free port; returns the endpoint URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Stop and drop open connections. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private takeFault(op: string, region: string): Fault | undefined {
    const i = this.faults.findIndex((f) => (f.op === undefined || f.op === op) && (f.region === undefined || f.region === region));
    if (i < 0) return undefined;
    const f = this.faults[i] as Fault;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  private allow(region: string): boolean {
    const rate = this.opts.ratePerSec;
    if (!(rate > 0)) return true;
    const now = Date.now();
    const b = this.buckets.get(region) ?? { tokens: this.opts.burst, last: now };
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.last) * rate) / 1000);
    b.last = now;
    this.buckets.set(region, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    return false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const auth = req.headers.authorization ?? '';
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
    const target = req.headers['x-amz-target'];
    let op: string;
    let params: Record<string, unknown> = {};
    let query = false;
    if (typeof target === 'string') {
      op = target.split('.').pop() ?? '';
      try {
        params = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
      } catch {
        params = {};
      }
    } else {
      query = true;
      const form = new URLSearchParams(body);
      op = form.get('Action') ?? '';
      params = Object.fromEntries(form.entries());
    }
    const record = (status: number): void => {
      this.seen.push({ op, region, at: Date.now(), status, params });
    };
    if (this.opts.latencyMs > 0) await new Promise((r) => setTimeout(r, this.opts.latencyMs));
    const fault = this.takeFault(op, region);
    if (fault) {
      if (fault.kind === 'drop') {
        record(0);
        req.socket.destroy();
        return;
      }
      const [status, code, message] = faultReply(fault.kind, op, region, this.opts.callerArn);
      record(status);
      if (query) return sendXmlError(res, status, code, message);
      return sendJson(res, status, { __type: code, message });
    }
    try {
      if (op === 'GetCallerIdentity') {
        record(200);
        return sendXml(
          res,
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${this.opts.callerArn}</Arn><UserId>AIDAEXAMPLERESPONDER</UserId><Account>${this.opts.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
      }
      if (op === 'DescribeRegions') {
        record(200);
        const items = this.opts.enabledRegions
          .map((r) => `<item><regionName>${r}</regionName><regionEndpoint>ec2.${r}.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>`)
          .join('');
        return sendXml(res, `<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomUUID()}</requestId><regionInfo>${items}</regionInfo></DescribeRegionsResponse>`);
      }
      if (op === 'LookupEvents') {
        if (!this.allow(region)) {
          record(400);
          return sendJson(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
        }
        const reply = this.lookup(region, params);
        record(200);
        this.sentPages.push(JSON.stringify(reply));
        return sendJson(res, 200, reply);
      }
      if (op === 'StartQuery') {
        record(200);
        const sql = typeof params.QueryStatement === 'string' ? params.QueryStatement : '';
        const q: LakeQuery = { id: randomUUID(), sql, polls: 0, rows: this.lakeRows(sql) };
        this.lakeQueries.push(q);
        return sendJson(res, 200, { QueryId: q.id });
      }
      if (op === 'GetQueryResults' || op === 'DescribeQuery') {
        const q = this.lakeQueries.find((x) => x.id === params.QueryId);
        if (!q) {
          record(400);
          return sendJson(res, 400, { __type: 'QueryIdNotFoundException', message: 'query not found' });
        }
        record(200);
        q.polls++;
        const pending = this.opts.lakePendingPolls;
        const status = q.polls <= pending ? (q.polls === 1 ? 'QUEUED' : 'RUNNING') : 'FINISHED';
        if (status !== 'FINISHED' || op === 'DescribeQuery') return sendJson(res, 200, { QueryStatus: status, QueryResultRows: [] });
        const offset = typeof params.NextToken === 'string' ? Number(Buffer.from(params.NextToken, 'base64').toString('utf8')) : 0;
        const slice = q.rows.slice(offset, offset + this.opts.pageSize);
        const next = offset + this.opts.pageSize < q.rows.length ? Buffer.from(String(offset + this.opts.pageSize)).toString('base64') : undefined;
        return sendJson(res, 200, {
          QueryStatus: 'FINISHED',
          QueryStatistics: { ResultsCount: slice.length, TotalResultsCount: q.rows.length, BytesScanned: 1000 },
          // A query that does not select eventJson gets rows of other columns (what an expert --query may return).
          QueryResultRows: slice.map((e) => (/eventjson/i.test(q.sql) ? [{ eventjson: e.cloudTrailEvent }] : [{ eventname: e.name }, { eventid: e.id }])),
          ...(next !== undefined ? { NextToken: next } : {}),
        });
      }
      record(400);
      return sendJson(res, 400, { __type: 'UnknownOperationException', message: `fake does not implement ${op}` });
    } catch (err) {
      record(500);
      return sendJson(res, 500, { __type: 'InternalFailure', message: err instanceof Error ? err.message : String(err) });
    }
  }

  private lookup(region: string, p: Record<string, unknown>): Record<string, unknown> {
    const start = typeof p.StartTime === 'number' ? p.StartTime * 1000 : -Infinity;
    const end = typeof p.EndTime === 'number' ? p.EndTime * 1000 : Infinity;
    const attrs = Array.isArray(p.LookupAttributes) ? (p.LookupAttributes as Array<{ AttributeKey: string; AttributeValue: string }>) : [];
    const attr = attrs[0];
    const all = (this.events.get(region) ?? []).filter((e) => e.time >= start && e.time <= end && (!attr || matchesAttr(e, attr.AttributeKey, attr.AttributeValue)));
    const key = JSON.stringify([region, start, end, attr ?? null]);
    let offset = 0;
    if (typeof p.NextToken === 'string') {
      const t = JSON.parse(Buffer.from(p.NextToken, 'base64').toString('utf8')) as { k: string; o: number };
      if (t.k !== key) throw new Error('InvalidNextTokenException');
      offset = t.o;
    }
    const size = Math.min(this.opts.pageSize, typeof p.MaxResults === 'number' ? p.MaxResults : 50);
    const page = all.slice(offset, offset + size);
    const next = offset + size < all.length ? Buffer.from(JSON.stringify({ k: key, o: offset + size })).toString('base64') : undefined;
    return {
      Events: page.map((e) => ({
        EventId: e.id,
        EventName: e.name,
        ReadOnly: String(e.readOnly),
        AccessKeyId: e.accessKeyId,
        EventTime: e.time / 1000,
        EventSource: e.source,
        Username: e.username,
        Resources: e.resources.map((r) => ({ ResourceType: 'AWS::EC2::Instance', ResourceName: r })),
        CloudTrailEvent: e.cloudTrailEvent,
      })),
      ...(next !== undefined ? { NextToken: next } : {}),
    };
  }

  private lakeRows(sql: string): FakeEvent[] {
    const ge = /eventtime\s*>=\s*'([^']+)'/i.exec(sql)?.[1];
    const le = /eventtime\s*<=\s*'([^']+)'/i.exec(sql)?.[1];
    const from = ge !== undefined ? Date.parse(`${ge.replace(' ', 'T')}Z`) : -Infinity;
    const to = le !== undefined ? Date.parse(`${le.replace(' ', 'T')}Z`) : Infinity;
    const name = /eventname\s*=\s*'([^']+)'/i.exec(sql)?.[1];
    return [...this.events.values()].flat().filter((e) => e.time >= from && e.time <= to && (name === undefined || e.name === name));
  }
}

function matchesAttr(e: FakeEvent, key: string, value: string): boolean {
  switch (key) {
    case 'EventId':
      return e.id === value;
    case 'EventName':
      return e.name === value;
    case 'EventSource':
      return e.source === value;
    case 'Username':
      return e.username === value;
    case 'AccessKeyId':
      return e.accessKeyId === value;
    case 'ResourceName':
      return e.resources.includes(value);
    case 'ReadOnly':
      return String(e.readOnly) === value;
    default:
      return false;
  }
}

function faultReply(kind: Fault['kind'], op: string, region: string, arn: string): [number, string, string] {
  const service = op === 'GetCallerIdentity' ? 'sts' : op === 'DescribeRegions' ? 'ec2' : 'cloudtrail';
  switch (kind) {
    case 'throttle':
      return [400, 'ThrottlingException', 'Rate exceeded'];
    case '500':
      return [500, 'InternalFailure', 'We encountered an internal error. Please try again.'];
    case 'accessDenied':
      return [400, 'AccessDeniedException', `User: ${arn} is not authorized to perform: ${service}:${op} on resource: arn:aws:cloudtrail:${region}:111122223333:trail/* because no identity-based policy allows the ${service}:${op} action`];
    case 'expiredToken':
      return [400, 'ExpiredTokenException', 'The security token included in the request is expired'];
    case 'unrecognizedClient':
      return [400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'];
    case 'drop':
      return [0, '', ''];
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendXml(res: ServerResponse, xml: string): void {
  res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

function sendXmlError(res: ServerResponse, status: number, code: string, message: string): void {
  const xml = `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}
