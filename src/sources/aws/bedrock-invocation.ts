/**
 * Amazon Bedrock model invocation logs: the JSON records Bedrock writes to S3
 * (`AWSLogs/<account>/BedrockModelInvocationLogs/<region>/yyyy/mm/dd/hh/*.json.gz`, one record per line) and to
 * CloudWatch Logs (each log event's `message` is one record; `aws logs filter-log-events` output is read through the
 * `cwlogs` container). Field meanings: Bedrock User Guide, "Monitor model invocation using CloudWatch Logs and Amazon
 * S3" (`schemaType: ModelInvocationLog`, `schemaVersion: 1.0`).
 *
 * Prompts (`input.inputBodyJson`) and outputs (`output.outputBodyJson`) are evidence and attacker-controlled: they
 * stay in the raw record. The only normalized column that shows any of them is the event's `excerpt`: a short,
 * sanitized, secret-redacted excerpt of the prompt's last text and of the output, for timelines and reports. Rules
 * read them through derived fields that say WHAT was found (pattern names, secret kinds), never the text. The injection scanner is the investigate one
 * (`scanValue`), the single source of truth for instruction-like text. Pure.
 */
import { scanValue } from '../../investigate/injection.js';
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import { labelledExcerpt } from '../../normalize/excerpt.js';
import type { ContainerFormat, DerivedField, SourceAdapter } from '../types.js';
import { roleArnOfSession } from './knowledge.js';

/** Data type of a Bedrock model invocation log record. */
export const BEDROCK_INVOCATION_DATA_TYPE = 'aws:bedrock:invocation';

/** True for a Bedrock model invocation log record. */
function isInvocationLog(record: unknown): record is Record<string, unknown> {
  const o = asObject(record);
  return o !== undefined && o.schemaType === 'ModelInvocationLog';
}

/** A body that may be an object, or JSON text (some exporters and older records stringify it). */
function bodyOf(v: unknown): unknown {
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return v;
      }
    }
  }
  return v;
}

/** Keys whose values are fixed vocabularies or settings, not text a person or model wrote. */
const NOT_TEXT = new Set(['role', 'type', 'anthropic_version', 'model', 'modelId', 'stop_reason', 'stopReason', 'finish_reason', 'media_type', 'format', 'id', 'toolUseId', 'name']);

/** Every text value of a body, in order (bounded: a body is at most a few MB; values past the cap are not read). */
function textLeaves(v: unknown, out: string[] = [], depth = 0, key?: string): string[] {
  if (depth > 32 || out.length > 5000) return out;
  if (typeof v === 'string') {
    if (key === undefined || !NOT_TEXT.has(key)) out.push(v);
  } else if (Array.isArray(v)) {
    for (const x of v as unknown[]) textLeaves(x, out, depth + 1, key);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) textLeaves(x, out, depth + 1, k);
  }
  return out;
}

/** The record inside a rule body (the record itself). */
function recordOf(body: unknown): Record<string, unknown> | undefined {
  return isInvocationLog(body) ? body : undefined;
}

/** The prompt texts of a record (system prompt, messages, prompt / inputText, tool results). */
export function promptTexts(body: unknown): string[] {
  const r = recordOf(body);
  return r ? textLeaves(bodyOf(asObject(r.input)?.inputBodyJson)) : [];
}

/** The output texts of a record (for a streamed response, its chunks in order). */
export function outputTexts(body: unknown): string[] {
  const r = recordOf(body);
  return r ? textLeaves(bodyOf(asObject(r.output)?.outputBodyJson)) : [];
}

/**
 * Instruction-like text in the prompt: `<pattern>:<encoding>` per distinct finding, sorted, with `_` for `-`
 * (`ignore_instructions:plain`): a detection summary that said "ignore-instructions in the prompt" would itself read
 * as an instruction to the scanner when the investigation scans detection summaries.
 */
function promptInjection(body: unknown): string[] {
  const found = new Set<string>();
  for (const t of promptTexts(body)) for (const h of scanValue(t)) found.add(`${h.pattern}:${h.encoding}`.replace(/-/g, '_'));
  return [...found].sort();
}

/**
 * Secret shapes in model output, by kind: cloud credentials (AWS access key ids and secret keys written next to their
 * name, Google API keys, Azure storage account keys and SAS signatures), private keys (PEM, OpenSSH, PGP), JSON Web
 * Tokens. Card numbers are matched separately ({@link cardNumbers}: a Luhn check keeps order ids and timestamps out).
 * Global regexes: used for finding and for redacting excerpts.
 */
const SECRET_PATTERNS: ReadonlyArray<[kind: string, re: RegExp]> = [
  ['aws-access-key', /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g],
  ['aws-secret-key', /\baws_?secret_?access_?key\b["']?\s*[:=]\s*["']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/gi],
  ['gcp-api-key', /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g],
  ['azure-storage-key', /\bAccountKey=[A-Za-z0-9+/]{86}==/g],
  ['azure-sas-signature', /[?&]sig=[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2}/g],
  ['private-key', /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g],
  ['jwt', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g],
];

/** Candidate card numbers: 13 to 19 digits, optionally grouped by single spaces or dashes. */
const CARD_RE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;

/** Luhn checksum (ISO/IEC 7812-1) of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Payment card numbers in a text: a Luhn-valid run of 13-19 digits whose prefix is a card network's (Visa 4, Mastercard
 * 51-55 / 2221-2720, Amex 34/37, Discover 6011/65/644-649, JCB 3528-3589, Diners 36/38/300-305) and that is not one
 * digit repeated. Returns the matched spans.
 */
function cardNumbers(text: string): Array<{ index: number; length: number }> {
  const out: Array<{ index: number; length: number }> = [];
  for (const m of text.matchAll(CARD_RE)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (digits.length < 13 || digits.length > 19 || /^(\d)\1+$/.test(digits)) continue;
    const p2 = Number(digits.slice(0, 2));
    const p4 = Number(digits.slice(0, 4));
    const p3 = Number(digits.slice(0, 3));
    const network =
      digits.startsWith('4') ||
      (p2 >= 51 && p2 <= 55) ||
      (p4 >= 2221 && p4 <= 2720) ||
      p2 === 34 ||
      p2 === 37 ||
      p4 === 6011 ||
      p2 === 65 ||
      (p3 >= 644 && p3 <= 649) ||
      (p4 >= 3528 && p4 <= 3589) ||
      p2 === 36 ||
      p2 === 38 ||
      (p3 >= 300 && p3 <= 305);
    if (network && luhnValid(digits)) out.push({ index: m.index, length: m[0].length });
  }
  return out;
}

/** Kinds of secrets in one text, in {@link SECRET_PATTERNS} order, `card-number` last. */
function secretKinds(text: string): string[] {
  const kinds = SECRET_PATTERNS.filter(([, re]) => {
    re.lastIndex = 0;
    return re.test(text);
  }).map(([k]) => k);
  if (cardNumbers(text).length > 0) kinds.push('card-number');
  return kinds;
}

/** A text with every secret replaced by `[REDACTED <kind>]` (excerpts never show a secret). */
function redactSecrets(text: string): string {
  let out = text;
  for (const [kind, re] of SECRET_PATTERNS) out = out.replace(re, `[REDACTED ${kind}]`);
  const cards = cardNumbers(out);
  for (let i = cards.length - 1; i >= 0; i--) {
    const c = cards[i] as { index: number; length: number };
    out = `${out.slice(0, c.index)}[REDACTED card-number]${out.slice(c.index + c.length)}`;
  }
  return out;
}

/** Kinds of secrets in the output, sorted. Streamed chunks are also read joined (a key may span two chunks). */
function outputSecrets(body: unknown): string[] {
  const texts = outputTexts(body);
  const found = new Set<string>();
  for (const t of [...texts, texts.join('')]) for (const k of secretKinds(t)) found.add(k);
  return [...found].sort();
}

/** Texts of an output body as one string: streamed chunks (an array body) joined as they were sent, others by a space. */
function outputText(record: Record<string, unknown>): string | undefined {
  const raw = bodyOf(asObject(record.output)?.outputBodyJson);
  const texts = textLeaves(raw);
  if (texts.length === 0) return undefined;
  return texts.join(Array.isArray(raw) ? '' : ' ');
}

/** Characters of prompt / output text read for an excerpt (secrets are redacted in this much before cutting). */
const EXCERPT_READ = 2048;

/**
 * The event's excerpt: the prompt's last text (the latest user turn or tool result: what the call was about) and
 * the start of the output, each untrusted (normalize/excerpt.ts: escapes, controls and bidi overrides removed,
 * whitespace collapsed, cut), secrets redacted. The full texts stay in the raw record.
 */
function invocationExcerpt(record: Record<string, unknown>): string | undefined {
  const prompt = textLeaves(bodyOf(asObject(record.input)?.inputBodyJson));
  const last = prompt.length > 0 ? prompt[prompt.length - 1] : undefined;
  const out = outputText(record);
  const cut = (t: string | undefined): string | undefined => (t === undefined ? undefined : redactSecrets(t.length > EXCERPT_READ ? t.slice(0, EXCERPT_READ) : t));
  return labelledExcerpt([
    ['prompt', cut(last), 120],
    ['output', cut(out), 80],
  ]);
}

/** True when a guardrail intervened (InvokeModel's `amazon-bedrock-guardrailAction`, Converse's `stopReason`). */
function guardrailIntervened(body: unknown): boolean {
  const r = recordOf(body);
  if (!r) return false;
  const out = asObject(bodyOf(asObject(r.output)?.outputBodyJson));
  if (!out) return false;
  return out['amazon-bedrock-guardrailAction'] === 'INTERVENED' || out.stopReason === 'guardrail_intervened';
}

/** A token count as a non-negative number, or undefined. */
function tokenCount(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Input plus output token counts of a record (`input.inputTokenCount`, `output.outputTokenCount`), when it has either. */
function totalTokens(body: unknown): number | undefined {
  const r = recordOf(body);
  if (!r) return undefined;
  const i = tokenCount(asObject(r.input)?.inputTokenCount);
  const o = tokenCount(asObject(r.output)?.outputTokenCount);
  return i === undefined && o === undefined ? undefined : (i ?? 0) + (o ?? 0);
}

/** `<modelId>@<region>` of a record: what a principal's new-model-or-region baseline compares. */
function modelRegion(body: unknown): string | undefined {
  const r = recordOf(body);
  const model = asString(r?.modelId);
  const region = asString(r?.region);
  return model && region ? `${model}@${region}` : undefined;
}

/** Fields rules may name on invocation records (docs/rules.md "Field map"). */
export const BEDROCK_DERIVED_FIELDS: Readonly<Record<string, DerivedField>> = {
  'irctl.prompt_injection': {
    description:
      'instruction-like text the investigate injection scanner finds in the prompt (input.inputBodyJson), as <pattern>:<encoding> (ignore_instructions:plain); the text itself is never copied',
    values: promptInjection,
  },
  'irctl.output_secrets': {
    description:
      'kinds of secrets in the model output (aws-access-key, aws-secret-key, gcp-api-key, azure-storage-key, azure-sas-signature, private-key, jwt, card-number with a Luhn check); the secret itself is never copied',
    values: outputSecrets,
  },
  'irctl.total_tokens': {
    description: 'input plus output token count of the invocation (input.inputTokenCount + output.outputTokenCount), when the record has either',
    values: (b) => {
      const n = totalTokens(b);
      return n === undefined ? [] : [n];
    },
  },
  'irctl.model_region': {
    description: 'the model and region of the invocation as <modelId>@<region> (a principal\'s new model or new region)',
    values: (b) => {
      const v = modelRegion(b);
      return v === undefined ? [] : [v];
    },
  },
  'irctl.guardrail_intervened': {
    description: 'true when a Bedrock guardrail intervened (amazon-bedrock-guardrailAction INTERVENED, stopReason guardrail_intervened)',
    values: (b) => (guardrailIntervened(b) ? [true] : []),
  },
};

/** Pure mapping of one invocation log record to the common schema. */
export function normalizeBedrockInvocation(record: unknown, rawSha256: string): NormalizeResult {
  if (!isInvocationLog(record)) return { ok: false, reason: 'not a Bedrock model invocation log record (schemaType is not ModelInvocationLog)' };
  const r = record;
  const operation = asString(r.operation);
  if (!operation) return { ok: false, reason: 'Bedrock invocation log record has no operation' };
  if (r.timestamp === undefined || r.timestamp === null) return { ok: false, reason: 'Bedrock invocation log record has no timestamp' };
  const t = normalizeTime(r.timestamp);
  if (!t) return { ok: false, reason: `Bedrock invocation log timestamp ${JSON.stringify(r.timestamp).slice(0, 60)} is not an ISO 8601 time` };
  const requestId = asString(r.requestId);
  const account = asString(r.accountId);
  const arn = asString(asObject(r.identity)?.arn);
  const modelId = asString(r.modelId);
  // An assumed-role session ARN is the actor's session, exactly as the CloudTrail adapter stores it: the invocation
  // shares the `session` entity with the role session's CloudTrail calls and with the AssumeRole call that issued it
  // (and, for an instance-profile session, the `instance` entity the provider derives from the session name).
  const isSession = arn !== undefined && /:assumed-role\//.test(arn);
  const session = isSession ? arn : undefined;
  const role = session ? roleArnOfSession(session) : undefined;
  const errorCode = asString(r.errorCode);
  return {
    ok: true,
    event: {
      // requestId is Bedrock's own id for the call (CloudTrail's requestID for the same call; its eventID differs).
      id: requestId ? `bedrock:${account ?? ''}:${requestId}` : `sha256:${rawSha256}`,
      dataType: BEDROCK_INVOCATION_DATA_TYPE,
      class: 'model_invocation',
      time: t.iso,
      timeMs: t.ms,
      provider: 'aws',
      layer: 'ai',
      account,
      region: asString(r.region),
      // The CloudTrail events of the same calls have eventSource bedrock.amazonaws.com (stored as `bedrock`).
      service: 'bedrock',
      action: operation,
      actor: {
        principal: arn,
        type: isSession ? 'AssumedRole' : arn?.includes(':user/') ? 'IAMUser' : arn?.endsWith(':root') ? 'Root' : undefined,
        name: arn ? arn.split('/').pop() : undefined,
        session,
        assumedFrom: role,
      },
      outcome: errorCode ? 'failure' : 'success',
      errorCode,
      // An invocation reads a model; it changes nothing (CloudTrail records InvokeModel and Converse as readOnly).
      readOnly: true,
      resources: modelId ? [modelId] : [],
      excerpt: invocationExcerpt(r),
    },
  };
}

/** The Bedrock model invocation log adapter. */
export const awsBedrockInvocation: SourceAdapter = {
  id: 'aws-bedrock-invocation',
  dataType: BEDROCK_INVOCATION_DATA_TYPE,
  provider: 'aws',
  description: 'Amazon Bedrock model invocation logs (S3 BedrockModelInvocationLogs .json.gz JSON Lines, CloudWatch Logs events)',
  // 2: the excerpt of the prompt and output (issue 16).
  version: 2,
  matches: isInvocationLog,
  normalize: normalizeBedrockInvocation,
  logSources: [{ product: 'aws', service: 'bedrock_invocation', description: 'Amazon Bedrock model invocation log records (prompts and outputs in input/output)' }],
  fieldAliases: { operation: { column: 'action' } },
  derivedFields: BEDROCK_DERIVED_FIELDS,
  detailPaths: {
    request: ['$.input.inputBodyJson', '$.input.inputBodyS3Path'],
    error: ['$.errorCode'],
    response: ['$.output.outputBodyJson', '$.output.outputBodyS3Path'],
  },
};

/**
 * CloudWatch Logs events as `aws logs filter-log-events` / `get-log-events` print them: an object with an `events`
 * array whose `message` strings are the records (Bedrock invocation logs, CloudTrail delivered to CloudWatch Logs).
 * The message string is the raw record (design.md "What raw means").
 */
export const cloudWatchLogsContainer: ContainerFormat = {
  format: 'cwlogs',
  description: 'an object with an "events" array whose "message" strings are the records (aws logs filter-log-events / get-log-events output)',
  keys: ['events'],
  unwrap(_bytes, parsed) {
    const msg = asObject(parsed)?.message;
    if (typeof msg !== 'string') return { error: 'CloudWatch Logs event has no message string' };
    try {
      return { bytes: Buffer.from(msg, 'utf8'), parsed: JSON.parse(msg) as unknown };
    } catch (err) {
      return { error: `CloudWatch Logs message is not a JSON record: ${err instanceof Error ? err.message : String(err)}` };
    }
  },
};
