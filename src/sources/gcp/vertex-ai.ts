/**
 * Vertex AI request-response logs: the rows Vertex AI writes to the BigQuery table an endpoint's (or a publisher
 * model's) request-response logging names, exported as newline-delimited JSON (`bq extract --destination_format
 * NEWLINE_DELIMITED_JSON`) or printed by `bq query --format=json`. Columns: `endpoint`, `deployed_model_id`,
 * `logging_time`, `request_id`, `request_payload` / `response_payload` (repeated JSON text: custom-model `predict`
 * instances and predictions), and for Gemini models `full_request` / `full_response` (the GenerateContent request and
 * response) and `metadata`. Field meanings: Vertex AI "Online prediction logging" and "Log requests and responses".
 *
 * The table holds no caller: who invoked the model is in the Data Access audit entry of the same call
 * (`aiplatform.googleapis.com`, `...PredictionService.GenerateContent` / `Predict`, off by default), which shares
 * the endpoint and the time. The row's action names the same method, so both read alike on a timeline.
 *
 * Prompts and outputs are evidence and attacker-controlled: they stay in the raw record; rules read them through
 * derived fields that say WHAT was found (the investigate injection scanner's pattern names, secret kinds), never
 * the text. Pure.
 */
import { scanValue } from '../../investigate/injection.js';
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import type { DerivedField, SourceAdapter } from '../types.js';
import { shortHash } from './common.js';
import { bqTime } from './reshaped.js';

/** Data type of a Vertex AI request-response log row. */
export const VERTEX_DATA_TYPE = 'gcp:vertex:request-response';

/** The PredictionService methods the rows stand for (the audit entries of the same calls name them so). */
const METHOD_PREFIX = 'google.cloud.aiplatform.v1.PredictionService.';

/** True for a request-response log row: an endpoint resource name, a logging time and some payload column. */
function rowOf(record: unknown): Record<string, unknown> | undefined {
  const o = asObject(record);
  if (!o || typeof o.endpoint !== 'string' || !('logging_time' in o)) return undefined;
  if (!/^projects\/[^/]+\/locations\/[^/]+\//.test(o.endpoint)) return undefined;
  return 'full_request' in o || 'request_payload' in o || 'full_response' in o || 'response_payload' in o ? o : undefined;
}

/** A JSON column: BigQuery exports JSON columns as objects, or as JSON text (older exports, `bq query`). */
function jsonColumn(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

/** Members that hold settings or vocabulary, not text a person, a tool or a model wrote. */
const NOT_TEXT = new Set(['role', 'mimeType', 'mime_type', 'finishReason', 'modelVersion', 'responseId', 'createTime', 'fileUri', 'category', 'probability', 'severity']);

/** Every text value of a value, in order (bounded). */
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

/** The repeated payload column's members, each parsed when it is JSON text. */
function payloads(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]).map(jsonColumn) : v === undefined || v === null ? [] : [jsonColumn(v)];
}

/**
 * The prompt texts of a row: the GenerateContent request's system instruction and contents (user turns, and tool
 * results: `functionResponse`, where indirect injections arrive), or the custom-model instances.
 */
export function vertexPromptTexts(body: unknown): string[] {
  const r = rowOf(body);
  if (!r) return [];
  const req = asObject(jsonColumn(r.full_request));
  const fromFull = req ? textLeaves([req.systemInstruction ?? req.system_instruction, req.contents]) : [];
  return [...fromFull, ...textLeaves(payloads(r.request_payload))];
}

/** The output texts of a row: the candidates' parts, or the custom-model predictions. */
export function vertexOutputTexts(body: unknown): string[] {
  const r = rowOf(body);
  if (!r) return [];
  const res = asObject(jsonColumn(r.full_response));
  const cands = Array.isArray(res?.candidates) ? (res.candidates as unknown[]) : [];
  return [...textLeaves(cands.map((c) => asObject(c)?.content)), ...textLeaves(payloads(r.response_payload))];
}

/** Instruction-like text in the prompt, as `<pattern>:<encoding>` (`_` for `-`), sorted (see the Bedrock adapter). */
function promptInjection(body: unknown): string[] {
  const found = new Set<string>();
  for (const t of vertexPromptTexts(body)) for (const h of scanValue(t)) found.add(`${h.pattern}:${h.encoding}`.replace(/-/g, '_'));
  return [...found].sort();
}

/** Secret shapes in model output, by kind (the same kinds the Bedrock rule names). */
const SECRET_SHAPES: ReadonlyArray<readonly [string, RegExp]> = [
  ['aws-access-key', /\b(?:AKIA|ASIA)[A-Z2-7]{16}\b/],
  ['gcp-api-key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['gcp-oauth-token', /\bya29\.[0-9A-Za-z_-]{20,}/],
  ['private-key', /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/],
  ['jwt', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
];

function outputSecrets(body: unknown): string[] {
  const texts = vertexOutputTexts(body);
  const all = [...texts, texts.join('')];
  return SECRET_SHAPES.filter(([, re]) => all.some((t) => re.test(t))).map(([k]) => k);
}

/** True when Gemini's safety filters blocked the prompt or a candidate. */
function safetyBlocked(body: unknown): boolean {
  const r = rowOf(body);
  const res = asObject(jsonColumn(r?.full_response));
  if (!res) return false;
  if (asString(asObject(res.promptFeedback)?.blockReason) !== undefined) return true;
  const cands = Array.isArray(res.candidates) ? (res.candidates as unknown[]) : [];
  return cands.some((c) => ['SAFETY', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII'].includes(asString(asObject(c)?.finishReason) ?? ''));
}

/** Fields rules may name on request-response rows (docs/rules.md "Field map"). */
export const VERTEX_DERIVED_FIELDS: Readonly<Record<string, DerivedField>> = {
  'irctl.prompt_injection': {
    description:
      'instruction-like text the investigate injection scanner finds in the prompt (Vertex AI full_request system instruction and contents, tool results included, or request_payload), as <pattern>:<encoding>; the text itself is never copied',
    values: promptInjection,
  },
  'irctl.output_secrets': {
    description: 'kinds of secrets in the model output (Vertex AI candidates or response_payload): aws-access-key, gcp-api-key, gcp-oauth-token, private-key, jwt; the secret itself is never copied',
    values: outputSecrets,
  },
  'irctl.safety_blocked': {
    description: "true when Gemini's safety filters blocked the prompt (promptFeedback.blockReason) or a candidate (finishReason SAFETY, BLOCKLIST, PROHIBITED_CONTENT, SPII)",
    values: (b) => (safetyBlocked(b) ? [true] : []),
  },
};

/** The model a row's endpoint names (`publishers/google/models/gemini-2.0-flash-001` -> the model id), if any. */
function modelOf(endpoint: string, response: Record<string, unknown> | undefined): string | undefined {
  const m = /\/models\/([^/:]+)/.exec(endpoint);
  return asString(response?.modelVersion) ?? m?.[1];
}

/** Pure mapping of one request-response row to the common schema. */
export function normalizeVertexRow(record: unknown, rawSha256: string): NormalizeResult {
  const r = rowOf(record);
  if (!r) return { ok: false, reason: 'not a Vertex AI request-response log row (no endpoint, logging_time and payload columns)' };
  const endpoint = r.endpoint as string;
  const t = normalizeTime(bqTime(r.logging_time));
  if (!t) return { ok: false, reason: `Vertex AI logging_time ${JSON.stringify(r.logging_time).slice(0, 60)} is not a time` };
  const requestId = asString(r.request_id) ?? (typeof r.request_id === 'number' ? String(r.request_id) : undefined);
  const loc = /^projects\/([^/]+)\/locations\/([^/]+)\//.exec(endpoint);
  const req = asObject(jsonColumn(r.full_request));
  const res = asObject(jsonColumn(r.full_response));
  const method = asString(r.api_method) ?? (req || res ? 'GenerateContent' : 'Predict');
  const answered = (res !== undefined && (Array.isArray(res.candidates) || res.usageMetadata !== undefined)) || payloads(r.response_payload).length > 0;
  const blocked = asString(asObject(res?.promptFeedback)?.blockReason);
  const model = modelOf(endpoint, res);
  const deployed = asString(r.deployed_model_id);
  const related = [...(model !== undefined ? [{ kind: 'model', value: model }] : []), ...(deployed !== undefined ? [{ kind: 'resource', value: `${endpoint}/deployedModels/${deployed}` }] : [])];
  return {
    ok: true,
    event: {
      // The request id is Vertex AI's own id for the call, unique within its endpoint.
      id: requestId !== undefined ? `gcp-vertex:${shortHash(`${endpoint}\n${requestId}`)}` : `sha256:${rawSha256}`,
      dataType: VERTEX_DATA_TYPE,
      class: 'model_invocation',
      time: t.iso,
      timeMs: t.ms,
      provider: 'gcp',
      layer: 'ai',
      account: loc?.[1],
      region: loc?.[2] === 'global' ? undefined : loc?.[2],
      service: 'aiplatform',
      action: method.includes('.') ? method : `${METHOD_PREFIX}${method}`,
      // The table records no caller (see the file comment).
      actor: {},
      outcome: blocked !== undefined ? 'failure' : answered ? 'success' : 'unknown',
      errorCode: blocked,
      readOnly: true,
      resources: [endpoint],
      related: related.length > 0 ? related : undefined,
    },
  };
}

/** The Vertex AI request-response log adapter. */
export const gcpVertexRequestResponse: SourceAdapter = {
  id: 'gcp-vertex-ai',
  dataType: VERTEX_DATA_TYPE,
  provider: 'gcp',
  description: 'Vertex AI request-response logs (BigQuery request-response logging table rows, exported as NDJSON)',
  version: 1,
  matches: (record) => rowOf(record) !== undefined,
  normalize: normalizeVertexRow,
  // The BigQuery table is where Vertex AI writes these logs (there is no other form of them): native rows.
  logSources: [{ product: 'gcp', service: 'vertex_ai', description: 'Vertex AI request-response log rows (prompts and outputs in full_request / full_response)' }],
  derivedFields: VERTEX_DERIVED_FIELDS,
  detailPaths: {
    request: ['$.full_request', '$.request_payload'],
    error: ['$.full_response.promptFeedback'],
    response: ['$.full_response', '$.response_payload'],
  },
};
