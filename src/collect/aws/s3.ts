/**
 * CloudTrail log files exported to S3: lists `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/` (and the
 * organization-trail layout `AWSLogs/<o-id>/<account>/...`) for the days of the window only, streams each object
 * through the same reader as local files (no whole-object buffering), and checks each file against the SHA-256
 * listed for it in the CloudTrail-Digest files of the same days (the hash of the uncompressed log file). Digest
 * signatures are not verified (that needs the AWS public keys from cloudtrail:ListPublicKeys).
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { readInputStream, type InputFileEnd } from '../../ingest/read-input.js';
import { rowFromItem } from '../../ingest/records.js';
import type { Progress } from '../../io/io-host.js';
import { storedObjects } from '../../store/collect-repo.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { UsageError } from '../../errors.js';
import { sha256Hex } from '../../util/hash.js';
import type { Range } from '../checkpoints.js';
import type { S3Counts } from './collect.js';
import { explainAwsError, isAbort } from './errors.js';
import type { CollectFilters } from './filters.js';
import type { RegionResult } from './lookup.js';
import { AwsApiError } from './ports.js';
import { withRetries } from '../rate-limit.js';
import type { RunContext } from './run-context.js';

/** Options of an S3 collection. */
export interface S3Options {
  /** `s3://bucket/prefix`. */
  url: string;
  window: Range;
  /** Regions to read (all found when empty). */
  regions: string[];
  filters: CollectFilters;
  maxRetries: number;
}

/** Bucket and prefix of an s3:// URL (prefix ends with `/` unless empty). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url.trim());
  if (!m) throw new UsageError(`--s3 ${JSON.stringify(url)} is not an s3://bucket/prefix URL`, { hint: 'Example: --s3 s3://my-trail-bucket/optional-prefix' });
  let prefix = m[2] ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return { bucket: m[1] as string, prefix };
}

/** UTC days touched by the window, plus the next day (files delivered after midnight hold events from before it). */
export function daysOf(window: Range): string[] {
  const out: string[] = [];
  const day = 86_400_000;
  for (let t = Math.floor(window[0] / day) * day; t <= window[1] + day; t += day) {
    const d = new Date(t);
    out.push(`${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`);
  }
  return out;
}

/** Delivery time in a CloudTrail file name (`..._20261120T1205Z_...`), epoch ms. */
export function fileTime(key: string): number | undefined {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z/.exec(key);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
}

/** Files delivered in [since, until + 1h] (delivery lags events by up to ~15 minutes; the slack is generous). */
function inWindow(key: string, w: Range): boolean {
  const t = fileTime(key);
  return t === undefined || (t >= w[0] && t <= w[1] + 3_600_000);
}

/** Collect. */
export async function collectS3(ctx: RunContext, opts: S3Options, progress: Progress): Promise<{ result: RegionResult; counts: S3Counts }> {
  const started = ctx.timer.now();
  const { bucket, prefix } = parseS3Url(opts.url);
  const scope = `s3://${bucket}/${prefix}`;
  const res: RegionResult = { region: scope, status: 'ok', events: 0, duplicates: 0, filtered_out: 0, quarantined: 0, pages: 0, throttled: 0, retried: 0, queried: [], page_hashes: [], elapsed_ms: 0 };
  const counts: S3Counts = { objects: 0, skipped_already_stored: 0, digests: 0, validated: 0, unvalidated: 0, digest_mismatches: [] };
  res.queried.push([new Date(opts.window[0]).toISOString(), new Date(opts.window[1]).toISOString()]);
  const retry = <T>(fn: () => Promise<T>): Promise<T> =>
    withRetries(fn, {
      classify: (e) => (e instanceof AwsApiError ? e.retryClass : 'fatal'),
      maxRetries: opts.maxRetries,
      timer: ctx.timer,
      random: ctx.random,
      baseMs: ctx.retryBaseMs,
      signal: ctx.signal,
      onRetry: ({ kind }) => (kind === 'throttle' ? res.throttled++ : res.retried++),
    });
  const listAll = async (p: string, delimiter?: string): Promise<{ keys: Array<{ key: string; etag: string | undefined; size: number | undefined }>; prefixes: string[] }> => {
    const keys: Array<{ key: string; etag: string | undefined; size: number | undefined }> = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const page = await retry(() => ctx.ports.s3.list(bucket, p, { ...(delimiter !== undefined ? { delimiter } : {}), token }, ctx.signal));
      keys.push(...page.objects);
      prefixes.push(...page.prefixes);
      token = page.nextToken;
    } while (token !== undefined);
    return { keys, prefixes };
  };

  try {
    // Account roots: AWSLogs/<account>/ or AWSLogs/<o-id>/<account>/ (or the URL already points at one).
    let roots: string[];
    if (/AWSLogs\/(o-[a-z0-9]+\/)?\d{12}\/$/.test(prefix)) roots = [prefix];
    else {
      const base = /AWSLogs\/(o-[a-z0-9]+\/)?$/.test(prefix) ? prefix : `${prefix}AWSLogs/`;
      roots = [];
      for (const p of (await listAll(base, '/')).prefixes) {
        if (/\/\d{12}\/$/.test(p)) roots.push(p);
        else if (/\/o-[a-z0-9]+\/$/.test(p)) roots.push(...(await listAll(p, '/')).prefixes.filter((q) => /\/\d{12}\/$/.test(q)));
      }
      if (roots.length === 0) ctx.warn('IRCTL_COLLECT_W3003', `no AWSLogs/<account>/ folders under ${scope}: is this the trail's bucket and prefix?`);
    }
    const days = daysOf(opts.window);
    for (const root of roots.sort()) {
      const regions = opts.regions.length > 0 ? opts.regions : (await listAll(`${root}CloudTrail/`, '/')).prefixes.map((p) => p.slice(`${root}CloudTrail/`.length).replace(/\/$/, ''));
      for (const region of regions.sort()) {
        // Digests first, so that each log file can be checked as it streams.
        const expected = new Map<string, string>();
        for (const day of days) {
          for (const d of (await listAll(`${root}CloudTrail-Digest/${region}/${day}/`)).keys.filter((k) => inWindow(k.key, [opts.window[0], opts.window[1] + 3_600_000]))) {
            if (ctx.signal.aborted) break;
            await readDigest(ctx, bucket, d.key, expected, retry);
            counts.digests++;
          }
        }
        for (const day of days) {
          const listed = (await listAll(`${root}CloudTrail/${region}/${day}/`)).keys.filter((k) => inWindow(k.key, opts.window)).sort((a, b) => a.key.localeCompare(b.key));
          const already = storedObjects(ctx.db, `s3://${bucket}/${root}CloudTrail/${region}/${day}/`);
          for (const obj of listed) {
            if (ctx.signal.aborted) {
              res.status = 'interrupted';
              return { result: res, counts };
            }
            const locator = `s3://${bucket}/${obj.key}`;
            if (already.has(locator) && (already.get(locator) ?? null) === (obj.etag ?? null)) {
              counts.skipped_already_stored++;
              continue;
            }
            const r = await importObject(ctx, bucket, obj, retry);
            counts.objects++;
            res.pages++;
            if (r.sha256) res.page_hashes.push(r.sha256);
            res.events += r.events;
            res.duplicates += r.duplicates;
            res.quarantined += r.quarantined;
            const want = expected.get(obj.key);
            if (want === undefined) counts.unvalidated++;
            else if (r.uncompressedSha256 === want) counts.validated++;
            else {
              counts.digest_mismatches.push(locator);
              ctx.warn('IRCTL_COLLECT_W3004', `${locator} does not match the SHA-256 its CloudTrail digest lists (${want}): the file was changed after delivery. It is kept in the case; treat its content as suspect.`);
            }
            progress.update(`${scope}: ${counts.objects} files, ${res.events} new, ${res.duplicates} dup`);
          }
        }
      }
    }
  } catch (err) {
    if (isAbort(err) || ctx.signal.aborted) res.status = 'interrupted';
    else {
      res.status = 'failed';
      res.error = explainAwsError(err, ctx.endpoints.s3);
    }
  } finally {
    res.elapsed_ms = Math.round(ctx.timer.now() - started);
  }
  return { result: res, counts };
}

type Retry = <T>(fn: () => Promise<T>) => Promise<T>;

/** Read one digest file (small): record it as an input, and note the hash of each log file it lists. */
async function readDigest(ctx: RunContext, bucket: string, key: string, expected: Map<string, string>, retry: Retry): Promise<void> {
  const obj = await retry(() => ctx.ports.s3.get(bucket, key, ctx.signal));
  const chunks: Buffer[] = [];
  for await (const c of obj.body) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  let text: string;
  try {
    text = (raw[0] === 0x1f && raw[1] === 0x8b ? await gunzipBuffer(raw) : raw).toString('utf8');
    const d = JSON.parse(text) as { logFiles?: Array<{ s3Object?: unknown; hashValue?: unknown; hashAlgorithm?: unknown }> };
    for (const f of d.logFiles ?? []) {
      if (typeof f.s3Object === 'string' && typeof f.hashValue === 'string' && (f.hashAlgorithm === undefined || f.hashAlgorithm === 'SHA-256')) expected.set(f.s3Object, f.hashValue.toLowerCase());
    }
  } catch (err) {
    ctx.warn('IRCTL_COLLECT_W3005', `s3://${bucket}/${key}: unreadable CloudTrail digest (${err instanceof Error ? err.message : String(err)}); files it covers are counted as unvalidated`);
  }
  ctx.store.storePage({
    runId: ctx.runId,
    kind: 'object',
    locator: `s3://${bucket}/${key}`,
    params: { role: 'cloudtrail-digest', etag: obj.etag ?? null },
    sha256: sha256Hex(raw),
    size: raw.length,
    status: 'ok',
    records: 0,
    rows: [],
    receivedAt: ctx.now().toISOString(),
  });
}

function gunzipBuffer(b: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const g = createGunzip();
    const out: Buffer[] = [];
    g.on('data', (c: Buffer) => out.push(c));
    g.on('end', () => resolve(Buffer.concat(out)));
    g.on('error', reject);
    g.end(b);
  });
}

/** Pass bytes through unchanged while hashing their decompressed form (the digest covers uncompressed content). */
function uncompressedHasher(): { tap: Transform; digest: () => Promise<string | undefined> } {
  const hash = createHash('sha256');
  let gz: ReturnType<typeof createGunzip> | undefined;
  let first = true;
  let failed = false;
  let gzDone: Promise<void> = Promise.resolve();
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (first) {
        first = false;
        if (chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b) {
          const g = createGunzip();
          gz = g;
          g.on('data', (c: Buffer) => hash.update(c));
          gzDone = new Promise((resolve) => {
            g.on('end', resolve);
            g.on('error', () => {
              failed = true;
              resolve();
            });
          });
        }
      }
      if (gz) gz.write(chunk);
      else hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      gz?.end();
      cb();
    },
  });
  return {
    tap,
    digest: async () => {
      await gzDone;
      return failed ? undefined : hash.digest('hex');
    },
  };
}

async function importObject(
  ctx: RunContext,
  bucket: string,
  obj: { key: string; etag: string | undefined; size: number | undefined },
  retry: Retry,
): Promise<{ events: number; duplicates: number; quarantined: number; sha256: string | null; uncompressedSha256: string | undefined }> {
  const locator = `s3://${bucket}/${obj.key}`;
  const got = await retry(() => ctx.ports.s3.get(bucket, obj.key, ctx.signal));
  const hasher = uncompressedHasher();
  const body: Readable = got.body.pipe(hasher.tap);
  got.body.on('error', (e) => hasher.tap.destroy(e));
  const stream = ctx.store.beginStream(ctx.runId, locator, { etag: obj.etag ?? null }, ctx.now().toISOString());
  const out = { events: 0, duplicates: 0, quarantined: 0, sha256: null as string | null, uncompressedSha256: undefined as string | undefined };
  let rows: IngestRow[] = [];
  let records = 0;
  let quarantined = 0;
  const gen = readInputStream(body, 'auto');
  let end: InputFileEnd | undefined;
  for (;;) {
    const n = await gen.next();
    if (n.done === true) {
      end = n.value;
      break;
    }
    for (const item of n.value.items) {
      const row = rowFromItem(item, n.value.format);
      if (item.type === 'record') records++;
      if (row.kind === 'rejected') quarantined++;
      rows.push(row);
    }
    if (rows.length >= 5000) {
      const c = stream.write(rows);
      out.events += c.events;
      out.duplicates += c.duplicates;
      rows = [];
    }
  }
  let status: 'ok' | 'partial' = 'ok';
  if (end.error !== undefined) {
    status = 'partial';
    rows.push({ kind: 'rejected', bytes: Buffer.alloc(0), sha256: sha256Hex(''), index: null, offset: null, reason: end.error });
    quarantined++;
  }
  if (quarantined > 0) status = 'partial';
  const c = stream.finish(rows, {
    params: { etag: obj.etag ?? null, format: end.format, gzip: end.gzip },
    sha256: end.sha256,
    size: end.size,
    status,
    records,
    quarantined,
    receivedAt: ctx.now().toISOString(),
  });
  out.events += c.events;
  out.duplicates += c.duplicates;
  out.quarantined = quarantined;
  out.sha256 = end.sha256;
  out.uncompressedSha256 = end.error === undefined ? await hasher.digest() : undefined;
  return out;
}
