/**
 * The provider interface: everything irctl knows about one vendor's records lives behind it (design.md "Provider
 * modules"). The generic stages (ingest, detect, correlate, timeline, investigate, export, report) ask the registry
 * in `sources/index.ts` and never name a provider. Adding a source = one adapter in its provider's folder + a fixture
 * + a test; adding a provider = one folder with an `index.ts` exporting a {@link Provider} + one line in the registry.
 * Pure types.
 */
import type { NormalizeResult } from '../normalize/event.js';
import type { DetectEvent, EventRow } from '../normalize/event-row.js';
import type { ContainmentSupport } from '../respond/types.js';

/**
 * An entity: kind + value. Kinds: principal, access_key, session, role, instance, ip, account, resource; identity
 * hops: session_name, source_identity, subject; workloads: host, container, pod (`namespace/name`), namespace, image,
 * process (`host:pid` or an id the sensor gives), parent_process, interface (a network interface: eni-...), private_ip (the workload's own address),
 * model, agent. Which kinds link detections into threats: src/correlate/entities.ts.
 */
export interface Entity {
  /** One of the kinds above. */
  kind: string;
  /** The identifier (ARN, key id, IP address, ...). */
  value: string;
}

/** A Sigma field answered from a normalized column instead of parsing the raw record. */
export interface FieldAlias {
  /** The column holding the value. */
  column: 'action' | 'service';
  /**
   * Turn the stored column value back into the record's form (e.g. `s3` -> `s3.amazonaws.com`). Undefined: the
   * column holds the record's value as is. Returning undefined means "read the raw record instead".
   */
  toRecord?: ((stored: string) => string | undefined) | undefined;
}

/**
 * A value rules may name that the record holds only implicitly (e.g. the accounts a policy document grants access to,
 * other than the record's own): computed from the rule body. Named `irctl.<name>`, a prefix no vendor writes.
 */
export interface DerivedField {
  /** One line for docs (`rules` help and docs/rules.md). */
  description: string;
  /** The values for one rule body (`[]` when absent). Pure; called only for events a rule asks about. */
  values(body: unknown): unknown[];
}

/** A Sigma `logsource` a data type answers to. */
export interface LogSource {
  product: string;
  service: string;
  description: string;
}

/**
 * The column header of a table an input holds (a CSV file, one table of a JSON table response such as the Log
 * Analytics query API's `tables[]`). Stored once with its input; each row is a raw record of its own.
 */
export interface TableHeader {
  /**
   * `csv`: a CSV file (every cell a string); `table`: a JSON table response (cells keep their JSON types); `text`: a
   * space-separated text log whose lines are the rows (util/text-fields.ts: `"quoted"` and `[bracketed]` fields),
   * read by a provider's {@link TextFormat}.
   */
  format: 'csv' | 'table' | 'text';
  /** The table's name (JSON `tables[].name`, e.g. `PrimaryResult`); undefined for CSV. */
  name?: string | undefined;
  /** Column names, in row order. */
  columns: string[];
  /** Column types as the response declares them (`datetime`, `string`, `dynamic`, ...); undefined for CSV. */
  types?: string[] | undefined;
  /**
   * Text logs whose lines may carry fewer or more fields than {@link columns} names (formats that grew fields over the
   * years): a row needs at least this many cells; extra cells stay unnamed. Undefined: exactly one cell per column.
   */
  minColumns?: number | undefined;
}

/**
 * A text log format whose lines are records: space-separated fields, with a header line naming them (VPC flow logs
 * in S3) or without one (the fields a format implies: S3 server access logs, flow logs read from CloudWatch Logs).
 * Each line's exact bytes are a raw record; the header (the header line's bytes, or none for an implied header) is
 * stored once with its input, as for CSV, and the adapter's `fromRow` reads the cells.
 */
export interface TextFormat {
  /** `--format` name. */
  format: string;
  /** One line for `--help` and docs. */
  description: string;
  /** The header a line declares when it is a header line (it names the fields), else undefined. Pure, cheap. */
  headerOf(line: string): TableHeader | undefined;
  /**
   * The header a data line implies when no header line precedes it (a headerless format, or the default field list),
   * else undefined: the line is not of this format.
   */
  impliedHeader(line: string): TableHeader | undefined;
}

/**
 * What a record that is another product's finding says about itself (a threat-detection service's finding): its
 * severity on irctl's scale and the ATT&CK / ATLAS tactics and techniques it stands for. Rules with
 * `irctl.finding: true` take their detection's severity and techniques from it.
 */
export interface FindingVerdict {
  /** The product's severity mapped to irctl's scale. */
  severity: 'informational' | 'low' | 'medium' | 'high' | 'critical';
  /** Tactic names (`execution`, `credential-access`...). */
  tactics: string[];
  /** Technique ids (`T1059.004`, `AML.T0040`). */
  techniques: string[];
  /** What the finding is (its type or title), added to the detection's title. */
  name?: string | undefined;
  /** A note for the detection's title (`sample finding`, `archived`), when there is one. */
  note?: string | undefined;
}

/** Whether a stored record holds the provider's own bytes (`native`) or an exporter's re-shaping of them. */
export type RecordOrigin = 'native' | 'reshaped';

/** One record type of a provider (CloudTrail entry, EC2 context item, sign-in log row, ...). */
export interface SourceAdapter {
  /** Source id, `<provider>-<log>`, e.g. `aws-cloudtrail`. */
  id: string;
  /** Data type stored with each raw record, `<provider>:<log>:<record>`. */
  dataType: string;
  /** Provider name stored on events (the vendor whose product wrote the record). */
  provider: string;
  /** One line for `irctl import --help` and docs. */
  description: string;
  /**
   * Version of {@link normalize}: raise it whenever the mapping changes what an event or its entities look like, so
   * derived rows made by an older mapper are recognised as stale rather than tampered.
   */
  version: number;
  /** Cheap structural check: does this parsed record belong to this source? */
  matches(record: unknown): boolean;
  /**
   * Pure mapping of one parsed record to the common schema. `rawSha256` is the hash of the record's exact bytes,
   * used as identity when the provider has no id of its own.
   */
  normalize(record: unknown, rawSha256: string): NormalizeResult;
  /**
   * The record rules address (Sigma field paths), e.g. the CloudTrail entry inside an EventBridge envelope.
   * Undefined: the parsed record itself.
   */
  ruleBody?: ((record: unknown) => unknown) | undefined;
  /**
   * The record a table row stands for (`header` names the cells), or undefined when this adapter does not read
   * rows of such a table. Pure. The record is what {@link normalize} and {@link ruleBody} receive: for a stored row
   * it is made again from the row's bytes and its input's header. `origin` says whether the row is the provider's
   * own representation (`native`, e.g. a query API's rows) or an export's re-shaping (`reshaped`, e.g. a portal's
   * CSV download).
   */
  fromRow?: ((header: TableHeader, row: readonly unknown[]) => { record: unknown; origin: RecordOrigin } | undefined) | undefined;
  /**
   * Whether a parsed record (not a table row) is the provider's own bytes or an exporter's re-shaping of them (a
   * pipeline's renamed keys, a SIEM's field mapping). Undefined: always `native`.
   */
  origin?: ((record: unknown) => RecordOrigin) | undefined;
  /** Sigma log sources whose rules run on this data type. */
  logSources?: readonly LogSource[] | undefined;
  /**
   * Provider-neutral Sigma log source categories this data type answers (a rule with `logsource: {category: ...}` and
   * no product runs on every data type of its category): `network_flow` for flow records whose rule body carries the
   * generic `network.*` fields (normalize/network.ts).
   */
  categories?: readonly string[] | undefined;
  /** Sigma fields of this data type answered from normalized columns (action index, no raw parse). */
  fieldAliases?: Readonly<Record<string, FieldAlias>> | undefined;
  /**
   * For records that are another product's findings: the severity and techniques the finding states (from the rule
   * body). Pure. Undefined: this data type's records are not findings.
   */
  finding?: ((body: unknown) => FindingVerdict | undefined) | undefined;
  /** Fields computed from the rule body (`irctl.<name>`), for what a field path cannot express. */
  derivedFields?: Readonly<Record<string, DerivedField>> | undefined;
  /**
   * JSON paths (SQLite `json_extract` syntax, in the raw record as stored) where the record keeps its request
   * parameters and its error message: shown by investigation tools next to the normalized fields.
   */
  detailPaths?: { request: readonly string[]; error: readonly string[]; response?: readonly string[] | undefined } | undefined;
}

/**
 * A container format a provider defines (records carried inside another JSON document), e.g. LookupEvents output
 * whose `Events[].CloudTrailEvent` strings are the records.
 */
export interface ContainerFormat {
  /** `--format` name. */
  format: string;
  /** One line for `--help` and docs. */
  description: string;
  /** Top-level keys whose array holds the elements (auto-detection looks for them). */
  keys: readonly string[];
  /**
   * The raw record an element carries (its exact bytes and parsed value), or why it carries none. Elements that are
   * the record themselves return `{ bytes, parsed }` unchanged.
   */
  unwrap(bytes: Buffer, parsed: unknown): { bytes: Buffer; parsed: unknown } | { error: string };
}

/**
 * A delivery envelope around one record, recognised on any input format (a Pub/Sub push message whose `data` is the
 * base64 of the record). When the envelope carries the record as an encoded string, the decoded bytes are the raw
 * record (design.md "What raw means", as for LookupEvents' CloudTrailEvent string); the input file's hash covers the
 * envelope.
 */
export interface EnvelopeFormat {
  /** Name, for messages and docs. */
  name: string;
  /** Cheap structural check on a parsed element. */
  matches(parsed: unknown): boolean;
  /** The record inside, or why there is none. */
  unwrap(bytes: Buffer, parsed: unknown): { bytes: Buffer; parsed: unknown } | { error: string };
}

/**
 * The kinds of log a data type's records come from (e.g. Cloud Audit Logs' Admin Activity / Data Access / System
 * Event / Policy Denied), named by a field of the raw record, and what the absence of a kind means: a kind that is
 * off by default is missing evidence, not quiet activity (`case info`, the investigation's log coverage).
 */
export interface LogKinds {
  /** The data type whose raw records carry the kind. */
  dataType: string;
  /** Path (SQLite `json_extract` syntax) in the raw record of the value that names the kind. */
  path: string;
  /** The kind a value names, or undefined when it names none. */
  kindOf(value: string): string | undefined;
  /** Every kind, with its display name and, when its absence means missing evidence, what to tell the analyst. */
  kinds: ReadonlyArray<{ kind: string; name: string; whenAbsent?: string | undefined }>;
  /**
   * The provider's own record of which kinds are switched on (e.g. an audit logging configuration a collector
   * stored as context records of `dataType`): `describe` turns every such record of the case into one sentence per
   * kind it speaks about (pure). Coverage shows the sentence next to the kind, present or missing.
   */
  settings?: { dataType: string; describe(records: readonly unknown[]): Readonly<Record<string, string>> } | undefined;
}

/** A principal granted administrator rights by an event, with the reason. */
export interface AdminGrant {
  principal: string;
  why: string;
}

/** One event that may grant administrator rights, with its parsed rule body. */
export interface GrantEvent {
  action: string;
  /** JSON array of resources. */
  resources: string;
  /** Parsed rule body of the raw record (or undefined). */
  body: unknown;
}

/** What makes a principal privileged, for this provider. */
export interface PrivilegeKnowledge {
  /** The account's all-powerful principal (AWS root, a tenant's global admin...). */
  isRoot(principal: string): boolean;
  /** The name of the role a principal is or is a session of, when that name says administrator. */
  adminNamedRole(principal: string): string | undefined;
  /** The events that can grant administrator rights: services and actions to select them by (successful ones). */
  grantActions: ReadonlyArray<{ service: string; actions: readonly string[] }>;
  /** Principals granted administrator rights by these events (in time order), with the reason. */
  adminGrants(events: readonly GrantEvent[]): AdminGrant[];
}

/**
 * A pseudonymization rule: values of a provider-specific shape and what becomes of them before text leaves the
 * machine (investigate/pseudonymize.ts). Rules apply in the order a provider lists them; a value a rule matched is
 * not looked at again by later rules.
 */
export interface PseudonymPattern {
  /** What the values are (for docs and tests). */
  name: string;
  /**
   * Global regex matching the values. Without named groups the whole match gets one pseudonym of {@link kind}.
   * With named groups the match keeps its shape: group `account` becomes an account pseudonym, group `name` is
   * split at `/` and `:` and each part with a letter becomes a pseudonym of {@link kind} (learnt, so the same name
   * is replaced wherever else it appears), and the rest of the match is kept (`arn:aws:iam::ACCT_1:user/principal-2`).
   */
  pattern: RegExp;
  /**
   * Pseudonym kind. `secret`: the value is redacted, never pseudonymized (it cannot be mapped back). `public`: a
   * well-known value that identifies nobody (a vendor-managed policy, a public model id) and is kept as is.
   */
  kind: 'account' | 'key' | 'principal_id' | 'principal' | 'resource' | 'secret' | 'public';
}

/** Everything irctl knows about one vendor. Only {@link name}, {@link description} and {@link adapters} are required. */
export interface Provider {
  /** The vendor whose product wrote the records: `aws`, `azure`, `gcp`, `okta`, ... (stored as `provider`). */
  name: string;
  /** One line for docs. */
  description: string;
  /** Record types, tried in order. */
  adapters: readonly SourceAdapter[];
  /** Container formats this provider's exports come in (beyond the generic array / JSON Lines / JSON). */
  containers?: readonly ContainerFormat[] | undefined;
  /** Text log formats (space-separated lines) this provider's logs come in; each line is a record. */
  textFormats?: readonly TextFormat[] | undefined;
  /** Delivery envelopes whose inner record is the raw record (tried on every element, after containers). */
  envelopes?: readonly EnvelopeFormat[] | undefined;
  /**
   * A record another document carries as text (a SIEM's copy: Elastic's `event.original`, Splunk's `_raw`): the text,
   * whose bytes are then the raw record, or undefined. Asked only for elements no adapter recognises as they are.
   */
  embeddedRecord?: ((element: unknown) => string | undefined) | undefined;
  /** Files that sit among this provider's logs but are not records (e.g. digest files): the reason to skip one. */
  skipFile?: ((path: string) => string | undefined) | undefined;
  /** Kinds of log the provider's records come from, and which ones are missing evidence when absent. */
  logKinds?: LogKinds | undefined;
  /** Sigma log sources of this vendor that irctl has no importer for yet (their rules load and wait). */
  plannedLogSources?: ReadonlyArray<LogSource & { dataType: string }> | undefined;
  /**
   * A value that names the provider's own service rather than an actor (`ec2.amazonaws.com`, service-linked
   * roles). Such values are never principals and never link detections.
   */
  isServicePrincipal?: ((value: string, actorType?: string | null) => boolean) | undefined;
  /** Entities of an event beyond the generic ones (e.g. the instance a role session was issued to). */
  extraEntities?: ((e: DetectEvent) => Entity[]) | undefined;
  /** The compute instance a session was issued to (an instance-profile role session), when the session id says it. */
  instanceOfSession?: ((session: string) => string | undefined) | undefined;
  /**
   * What a host name (as a runtime sensor reports it) says about the machine: its private address (`private_ip`) or
   * its instance (`instance`), by this provider's naming scheme. Used to join sensor alerts to the instance.
   */
  hostEntities?: ((host: string) => Entity[]) | undefined;
  /** The role a session was assumed from, when the session id says it. */
  roleOfSession?: ((session: string) => string | undefined) | undefined;
  /** A short display name of a principal id (user or role name), for titles. */
  shortName?: ((principal: string) => string | undefined) | undefined;
  /** Privileged principals and grants. */
  privilege?: PrivilegeKnowledge | undefined;
  /** Logging and monitoring tampering. */
  tampering?:
    | {
        /** Actions that disable, delete or reduce logging or monitoring. */
        actions: readonly string[];
        /** Of those, the ones that stop a log's delivery outright. */
        stops: readonly string[];
        /** Actions that (re)start delivery. */
        starts: readonly string[];
      }
    | undefined;
  /** Roles (resource ids) an event assumed or acted through, for the blast radius (failed events included: check `outcome`). */
  rolesAssumed?: ((e: EventRow, resources: readonly string[]) => string[]) | undefined;
  /**
   * Other forms a crown-jewel entry takes in events (e.g. a secret's name for its ARN), beyond the entry itself.
   */
  jewelForms?: ((jewel: string) => string[]) | undefined;
  /** Provider-specific identifier shapes the pseudonymizer must replace before text leaves the machine. */
  pseudonymPatterns?: readonly PseudonymPattern[] | undefined;
  /**
   * Exposure findings of one of this provider's context records (a firewall rule open to the internet, a public
   * bucket...), one sentence each (pure): the investigation's asset context names them.
   */
  exposure?: ((dataType: string, record: unknown) => string[]) | undefined;
  /** Containment steps `irctl contain` plans from a threat's evidence, and their runner (src/respond/types.ts). */
  containment?: ContainmentSupport | undefined;
  /**
   * Read the provider's settings from the environment before detection (e.g. a file of the provider's published
   * address ranges the operator points to). Returns notes for the operator; throws a ConfigError for a setting that
   * cannot be used.
   */
  configure?: ((env: Readonly<Record<string, string | undefined>>) => string[]) | undefined;
}
