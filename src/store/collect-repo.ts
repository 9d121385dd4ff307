/**
 * SQL of the collect stage: pages of evidence written together with the checkpoint they advance, checkpoints,
 * EC2 exposure, and the read API that blast-radius and containment use over EC2 context records.
 */
import type { Db } from './db.js';
import { RunCommitment } from './commitment.js';
import { IngestWriter, type BatchCounts, type IngestRow, type InputCompletion } from './ingest-repo.js';

/** A checkpoint as stored. */
export interface CheckpointRow {
  key: string;
  account: string;
  region: string;
  api: string;
  /** Canonical JSON of the filter set. */
  filters: string;
  /** JSON `[[from_ms, to_ms], ...]`. */
  covered: string;
  run_id: string;
  updated_at: string;
}

/** One API page or S3 object to store as an input with its records. */
export interface PageToStore {
  runId: string;
  kind: 'api_page' | 'object';
  /** e.g. `cloudtrail:LookupEvents us-east-1` or `s3://bucket/key`. */
  locator: string;
  /** Request parameters. */
  params: Record<string, unknown>;
  /** SHA-256 of the body as received. */
  sha256: string | null;
  size: number | null;
  status: 'ok' | 'partial' | 'failed';
  /** Records read from it (accepted + rejected). */
  records: number;
  rows: readonly IngestRow[];
  receivedAt: string;
}

/**
 * Writes pages; each page and the checkpoint it advances land in one transaction (a kill loses neither alone). Every
 * evidence row goes into the run's {@link RunCommitment}, which `collect.end` records.
 */
export class CollectStore {
  /** What the run has added so far. */
  readonly commitment: RunCommitment;
  private readonly db: Db;
  private readonly writer: IngestWriter;
  private readonly upsertCp;
  private readonly storeTx;

  constructor(db: Db, commitment: RunCommitment = new RunCommitment()) {
    this.db = db;
    this.commitment = commitment;
    this.writer = new IngestWriter(db, commitment);
    this.upsertCp = db.prepare(
      `INSERT INTO collect_checkpoints(key, account, region, api, filters, covered, run_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET covered = excluded.covered, run_id = excluded.run_id, updated_at = excluded.updated_at`,
    );
    this.storeTx = db.transaction((page: PageToStore, cp: CheckpointRow | null): BatchCounts & { inputId: number } => {
      // beginInput and writeBatch run back to back without yielding, so regions collected concurrently cannot
      // interleave their input ids.
      const inputId = this.writer.beginInput(page.runId, page.locator, { kind: page.kind, params: page.params, receivedAt: page.receivedAt });
      const quarantined = page.rows.filter((r) => r.kind === 'rejected').length;
      const c = this.writer.writeBatch(page.rows, {
        sha256: page.sha256,
        size: page.size,
        status: page.status === 'ok' && quarantined > 0 ? 'partial' : page.status,
        records: page.records,
        quarantined,
        completedAt: page.receivedAt,
      });
      if (cp) this.saveCheckpointRow(cp);
      return { ...c, inputId };
    });
  }

  /** Store one page (and advance a checkpoint) atomically. */
  storePage(page: PageToStore, checkpoint: CheckpointRow | null = null): BatchCounts & { inputId: number } {
    return this.commitment.guard(this.db, () => this.storeTx(page, checkpoint));
  }

  /**
   * Stream one large input (an S3 object) in several batches: its input row is written now, rows as they come, its
   * completion with the last batch. Use for one input at a time (the writer holds one current input).
   */
  beginStream(runId: string, locator: string, params: Record<string, unknown> | null = null, receivedAt?: string): StreamInput {
    const writer = new IngestWriter(this.db, this.commitment);
    const inputId = writer.beginInput(runId, locator, { kind: 'object', params, ...(receivedAt === undefined ? {} : { receivedAt }) });
    return {
      inputId,
      write: (rows) => writer.writeBatch(rows, null),
      finish: (rows, input) =>
        writer.writeBatch(rows, {
          sha256: input.sha256,
          size: input.size,
          status: input.status,
          records: input.records,
          quarantined: input.quarantined,
          params: input.params,
          completedAt: input.receivedAt,
        }),
    };
  }

  /** Save a checkpoint on its own. */
  saveCheckpoint(cp: CheckpointRow): void {
    this.db.transaction(() => this.saveCheckpointRow(cp))();
  }

  private saveCheckpointRow(cp: CheckpointRow): void {
    this.upsertCp.run(cp.key, cp.account, cp.region, cp.api, cp.filters, cp.covered, cp.run_id, cp.updated_at);
  }
}

/** An input being written in batches. */
export interface StreamInput {
  inputId: number;
  write(rows: readonly IngestRow[]): BatchCounts;
  /** Last rows and the input's completion (`receivedAt`: when reading ended; `params`: merged over the start's). */
  finish(
    rows: readonly IngestRow[],
    input: { params: Record<string, unknown>; sha256: string | null; size: number | null; status: InputCompletion['status']; records: number; quarantined: number; receivedAt: string },
  ): BatchCounts;
}

/** The checkpoint under `key`, if any. */
export function loadCheckpoint(db: Db, key: string): CheckpointRow | undefined {
  return db.prepare('SELECT key, account, region, api, filters, covered, run_id, updated_at FROM collect_checkpoints WHERE key = ?').get(key) as
    | CheckpointRow
    | undefined;
}

/** Every checkpoint (for `--json` diagnostics and tests). */
export function listCheckpoints(db: Db): CheckpointRow[] {
  return db.prepare('SELECT key, account, region, api, filters, covered, run_id, updated_at FROM collect_checkpoints ORDER BY api, account, region, key').all() as CheckpointRow[];
}

/** S3 objects already stored completely under a locator prefix: locator -> ETag recorded when it was read. */
export function storedObjects(db: Db, locatorPrefix: string): Map<string, string | null> {
  const rows = db
    .prepare("SELECT locator, params FROM input_status WHERE kind = 'object' AND status = 'ok' AND substr(locator, 1, ?) = ?")
    .all(locatorPrefix.length, locatorPrefix) as Array<{ locator: string; params: string | null }>;
  const out = new Map<string, string | null>();
  for (const r of rows) {
    let etag: string | null;
    try {
      const p = JSON.parse(r.params ?? '{}') as { etag?: unknown };
      etag = typeof p.etag === 'string' ? p.etag : null;
    } catch {
      etag = null;
    }
    out.set(r.locator, etag);
  }
  return out;
}

/** Exposure of one instance at one snapshot. */
export interface ExposureRow {
  run_id: string;
  /** When the snapshot was taken (UTC ISO 8601). */
  observed_at: string;
  account: string;
  region: string;
  instance_id: string;
  arn: string;
  state: string | null;
  /** True when a public IP meets ingress open to 0.0.0.0/0 or ::/0. */
  exposed: boolean;
  public_ips: string[];
  open_ingress: OpenIngress[];
  security_groups: string[];
  /** SHA-256 of the instance record it was computed from. */
  raw_sha256: string;
}

/** An ingress rule open to the internet. */
export interface OpenIngress {
  group_id: string;
  protocol: string;
  from_port: number | null;
  to_port: number | null;
  cidr: string;
}

/** Store computed exposure rows (derived data) in one transaction. */
export function insertExposure(db: Db, rows: readonly ExposureRow[]): void {
  const ins = db.prepare(
    `INSERT INTO asset_exposure(run_id, observed_at, account, region, instance_id, arn, state, exposed, public_ips, open_ingress, security_groups, raw_sha256)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const r of rows) {
      ins.run(r.run_id, r.observed_at, r.account, r.region, r.instance_id, r.arn, r.state, r.exposed ? 1 : 0, JSON.stringify(r.public_ips), JSON.stringify(r.open_ingress), JSON.stringify(r.security_groups), r.raw_sha256);
    }
  })();
}

interface ExposureDbRow {
  run_id: string;
  observed_at: string;
  account: string;
  region: string;
  instance_id: string;
  arn: string;
  state: string | null;
  exposed: number;
  public_ips: string;
  open_ingress: string;
  security_groups: string;
  raw_sha256: string;
}

function exposureFromDb(r: ExposureDbRow): ExposureRow {
  return {
    ...r,
    exposed: r.exposed === 1,
    public_ips: JSON.parse(r.public_ips) as string[],
    open_ingress: JSON.parse(r.open_ingress) as OpenIngress[],
    security_groups: JSON.parse(r.security_groups) as string[],
  };
}

/**
 * Latest known exposure of an instance, by instance id (`i-...`) or ARN; undefined when no snapshot of it exists.
 * Read API for blast radius and containment.
 */
export function exposureOf(db: Db, instanceIdOrArn: string): ExposureRow | undefined {
  const row = db
    .prepare('SELECT * FROM asset_exposure WHERE instance_id = ? OR arn = ? ORDER BY observed_at DESC, id DESC LIMIT 1')
    .get(instanceIdOrArn, instanceIdOrArn) as ExposureDbRow | undefined;
  return row ? exposureFromDb(row) : undefined;
}

/** Latest exposure of every instance seen (one row per instance), exposed first. */
export function listExposure(db: Db): ExposureRow[] {
  const rows = db
    .prepare(
      `SELECT a.* FROM asset_exposure a
       WHERE a.id = (SELECT b.id FROM asset_exposure b WHERE b.arn = a.arn ORDER BY b.observed_at DESC, b.id DESC LIMIT 1)
       ORDER BY a.exposed DESC, a.arn`,
    )
    .all() as ExposureDbRow[];
  return rows.map(exposureFromDb);
}

/** One EC2 context asset as last seen. */
export interface AssetRow {
  /** `instance`, `security-group`, `network-interface`, `volume`, `address`, `iam-instance-profile-association`. */
  kind: string;
  /** ARN (or a stable identifier where the resource has no ARN). */
  arn: string;
  account: string | null;
  region: string | null;
  /** When the snapshot was taken. */
  observed_at: string;
  /** The resource as the EC2 API described it (the `resource` member of the stored record). */
  resource: Record<string, unknown>;
  /** Event id of the context record (cite it like any other event). */
  event_id: string;
  /** SHA-256 of the stored record. */
  raw_sha256: string;
}

/**
 * Latest snapshot of each context asset (EC2 instances, volumes, ...), optionally of one kind / region / account. Read API for blast radius and
 * containment (e.g. the volumes of an instance: `listAssets(db, {kind: 'volume'})` and match `Attachments`).
 */
export function listAssets(db: Db, f: { kind?: string; region?: string; account?: string } = {}): AssetRow[] {
  // Context snapshots of every provider: data type `<provider>:<service>:<kind>`, layer `context`.
  const where = ["e.layer = 'context'"];
  const args: unknown[] = [];
  if (f.kind !== undefined) {
    where.push("e.data_type LIKE '%:' || ?");
    args.push(f.kind);
  }
  if (f.region !== undefined) {
    where.push('e.region = ?');
    args.push(f.region);
  }
  if (f.account !== undefined) {
    where.push('e.account = ?');
    args.push(f.account);
  }
  const rows = db
    .prepare(
      `SELECT e.id AS event_id, e.data_type, e.account, e.region, e.time, e.time_ms, e.resources, r.raw, r.sha256
       FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE ${where.join(' AND ')} ORDER BY e.time_ms DESC, e.rowid DESC`,
    )
    .all(...args) as Array<{ event_id: string; data_type: string; account: string | null; region: string | null; time: string; resources: string; raw: string; sha256: string }>;
  const seen = new Set<string>();
  const out: AssetRow[] = [];
  for (const r of rows) {
    const arn = (JSON.parse(r.resources) as string[])[0] ?? r.event_id;
    if (seen.has(arn)) continue;
    seen.add(arn);
    const rec = JSON.parse(r.raw) as { resource?: Record<string, unknown> };
    out.push({
      kind: r.data_type.slice(r.data_type.lastIndexOf(':') + 1),
      arn,
      account: r.account,
      region: r.region,
      observed_at: r.time,
      resource: rec.resource ?? {},
      event_id: r.event_id,
      raw_sha256: r.sha256,
    });
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.arn.localeCompare(b.arn));
}
