/**
 * Azure OpenAI / AI Foundry (Cognitive Services account) diagnostic logs: the `RequestResponse` category (one record
 * per inference request: `ChatCompletions_Create`, `Completions_Create`, `Embeddings_Create`, `Responses_Create`,
 * `ImageGenerations_Create`, ...) and the `Audit` category (key listing and other management reads on the account),
 * in the two shapes they reach a responder in:
 * - diagnostic settings (storage account `insights-logs-requestresponse` / `insights-logs-audit` `.../PT1H.json`,
 *   Event Hub `records[]`): `time`, `category`, `operationName`, `callerIpAddress`, `correlationId`,
 *   `resultSignature` (the HTTP status), `durationMs`, and `properties` (an object or JSON text) with `apiName`,
 *   `modelDeploymentName`, `modelName`, `modelVersion`, `objectId` (the caller's Entra object id; empty for API-key
 *   calls), `streamType`, `requestLength`, `responseLength`, and token counts where the service writes them;
 * - Log Analytics `AzureDiagnostics` rows (`ResourceProvider` `MICROSOFT.COGNITIVESERVICES`, `properties_s`,
 *   `CallerIPAddress`, `ResultSignature`, `CorrelationId`, `DurationMs`).
 * Prompts and completions are NOT in these logs (Microsoft does not log content in diagnostic settings); the
 * events carry who called which deployment, when, from where and how big the exchange was. Pure.
 *
 * Identity: a content key of time (ms), operation, correlation id, resource id and result signature.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import type { RecordOrigin, SourceAdapter, TableHeader } from '../types.js';
import { firstString, shortHash } from './common.js';
import { rowObject, rowOrigin } from './tables.js';
import { columnsOf, ipWithoutPort, propertiesOf, resourceNameOf, rowType, subscriptionOfResource, unsuffixed, isResourceLogRecord, numberOf, withColumns } from './resource-logs.js';

const AI_CATEGORIES = new Set(['requestresponse', 'audit', 'trace', 'azureopenairequestusage']);

function isCognitiveResource(resourceId: string | undefined): boolean {
  return /\/providers\/microsoft\.cognitiveservices\/accounts\//i.test(resourceId ?? '');
}

/** The record and its properties, when it is an Azure OpenAI / AI services diagnostic record. */
function aiRecord(record: unknown): { r: Record<string, unknown>; p: Record<string, unknown> } | undefined {
  const r = asObject(record);
  if (!r || !isResourceLogRecord(r)) return undefined;
  const cat = asString(r.category)?.toLowerCase();
  if (cat === undefined || !AI_CATEGORIES.has(cat) || !isCognitiveResource(asString(r.resourceId))) return undefined;
  return { r, p: propertiesOf(r.properties) };
}

/** Token counts, where the record has them (`promptTokens` / `completionTokens` / `totalTokens`, any case). */
export function tokenCounts(p: Record<string, unknown>): { prompt?: number | undefined; completion?: number | undefined; total?: number | undefined } {
  const get = (...names: string[]): number | undefined => {
    for (const [k, v] of Object.entries(p)) if (names.includes(k.toLowerCase())) return numberOf(v);
    return undefined;
  };
  return { prompt: get('prompttokens', 'inputtokens'), completion: get('completiontokens', 'outputtokens'), total: get('totaltokens') };
}

/**
 * The caller's network as the service lets it be known: it masks the last octet of IPv4 callers (`203.0.113.*`), so a
 * full address is cut to the same form (`203.0.113.7` -> `203.0.113.*`) and both compare; IPv6 and other text as is.
 */
export function callerNetwork(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,3}\.\d{1,3}\.\d{1,3})\.(?:\d{1,3}|\*)(?::\d+)?$/.exec(v.trim());
  return m ? `${m[1] as string}.*` : v.trim().toLowerCase();
}

/** Pure mapping of one Azure OpenAI diagnostic record (either shape) to the common schema. */
export function normalizeAzureOpenAi(record: unknown, _rawSha256: string): NormalizeResult {
  const a = aiRecord(record);
  if (!a) return { ok: false, reason: 'not an Azure OpenAI / AI services diagnostic record (category RequestResponse/Audit on a Microsoft.CognitiveServices account)' };
  const { r, p } = a;
  const op = asString(r.operationName);
  if (op === undefined) return { ok: false, reason: 'Azure OpenAI diagnostic record has no operationName' };
  const timeText = asString(r.time);
  if (timeText === undefined) return { ok: false, reason: 'Azure OpenAI diagnostic record has no time (time / TimeGenerated)' };
  const t = normalizeTime(timeText);
  if (!t) return { ok: false, reason: `Azure OpenAI diagnostic time ${JSON.stringify(timeText).slice(0, 60)} is not an ISO 8601 time` };
  const rid = asString(r.resourceId)?.toLowerCase();
  const sig = firstString(r.resultSignature, typeof r.resultSignature === 'number' ? String(r.resultSignature) : undefined);
  const status = numberOf(sig);
  const key = [t.iso, op.toLowerCase(), asString(r.correlationId)?.toLowerCase() ?? '', rid ?? '', sig ?? ''].join('|');
  const account = resourceNameOf(rid, 'accounts');
  const objectId = asString(p.objectId)?.toLowerCase();
  const deployment = asString(p.modelDeploymentName);
  const model = asString(p.modelName);
  const callerText = asString(r.callerIpAddress);
  const ip = ipWithoutPort(callerText);
  const category = asString(r.category)?.toLowerCase();
  const resources = [deployment === undefined || rid === undefined ? undefined : `${rid}/deployments/${deployment.toLowerCase()}`, rid].filter((x): x is string => x !== undefined);
  return {
    ok: true,
    event: {
      id: `azure-openai:${shortHash(key)}`,
      dataType: 'azure:openai:request',
      class: category === 'audit' ? 'api_activity' : 'model_invocation',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'ai',
      account: subscriptionOfResource(rid),
      // No region: `AzureDiagnostics` rows do not carry the export's `location`, and one request read both ways must
      // normalize the same (the account's resource id names it).
      service: 'microsoft.cognitiveservices',
      action: op,
      actor: {
        // An Entra caller is named by its object id; an API-key call names nobody, so the key (the account's) acts.
        principal: objectId ?? (account === undefined ? undefined : `apikey:${account}`),
        type: objectId !== undefined ? 'EntraPrincipal' : account === undefined ? undefined : 'ApiKey',
        principalId: objectId,
        accessKey: objectId === undefined && account !== undefined ? `apikey:${account}` : undefined,
      },
      srcIp: ip,
      // The service masks part of the caller address (`203.0.113.*`): kept as written when it is not an IP.
      srcHost: ip === undefined ? callerText : undefined,
      outcome: status === undefined ? 'unknown' : status < 400 ? 'success' : 'failure',
      errorCode: status !== undefined && status >= 400 ? String(status) : undefined,
      readOnly: category !== 'audit' || /list|get/i.test(op),
      resources,
      related: model === undefined ? undefined : [{ kind: 'model', value: model.toLowerCase() }],
    },
  };
}

/**
 * What rules see: the record with `properties` parsed, plus `OperationName`, `ModelDeploymentName`, `ModelName`,
 * `ObjectId`, `CallerIPAddress`, `ResultSignature` and the token counts (`PromptTokens`, `CompletionTokens`,
 * `TotalTokens`) when present.
 */
export function azureOpenAiRuleBody(record: unknown): unknown {
  const a = aiRecord(record);
  if (!a) return record;
  const tokens = tokenCounts(a.p);
  const add: Record<string, unknown> = {
    OperationName: asString(a.r.operationName),
    ModelDeploymentName: a.p.modelDeploymentName,
    ModelName: a.p.modelName,
    ModelVersion: a.p.modelVersion,
    ObjectId: a.p.objectId,
    CallerIPAddress: a.r.callerIpAddress,
    ResultSignature: a.r.resultSignature,
    CallerNetwork: callerNetwork(asString(a.r.callerIpAddress)),
    PromptTokens: tokens.prompt,
    CompletionTokens: tokens.completion,
    TotalTokens: tokens.total,
  };
  // `properties` parsed replaces the JSON text the record may hold.
  return withColumns({ ...a.r, properties: a.p }, add);
}

/** An Azure OpenAI / AI services row of `AzureDiagnostics` as the diagnostic record; undefined for other rows. */
export function azureOpenAiFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  const cols = columnsOf(header);
  if (!cols.has('operationname') || !cols.has('category') || !(cols.has('resourceprovider') || cols.has('resourceid') || cols.has('_resourceid'))) return undefined;
  const o = rowObject(header, row);
  const type = rowType(o);
  if (type !== undefined && type !== 'azurediagnostics') return undefined;
  const rid = firstString(o._ResourceId, o.ResourceId);
  if (asString(o.ResourceProvider)?.toUpperCase() !== 'MICROSOFT.COGNITIVESERVICES' && !isCognitiveResource(rid)) return undefined;
  const cat = asString(o.Category)?.toLowerCase();
  if (cat === undefined || !AI_CATEGORIES.has(cat)) return undefined;
  const u = unsuffixed(o);
  const record = {
    ...o,
    time: o.TimeGenerated ?? null,
    resourceId: rid,
    category: o.Category,
    operationName: o.OperationName,
    callerIpAddress: o.CallerIPAddress,
    correlationId: o.CorrelationId,
    resultSignature: o.ResultSignature,
    durationMs: o.DurationMs,
    location: u.Location,
    // Kept as the text the column holds (the export writes the same JSON text).
    properties: u.properties,
  };
  return { record, origin: rowOrigin(header) };
}

/** The Azure OpenAI diagnostic log adapter. */
export const azureOpenAi: SourceAdapter = {
  id: 'azure-openai',
  dataType: 'azure:openai:request',
  provider: 'azure',
  description: 'Azure OpenAI / AI Foundry diagnostic logs (RequestResponse and Audit records, AzureDiagnostics rows; no prompts)',
  version: 1,
  matches: (record) => aiRecord(record) !== undefined,
  normalize: normalizeAzureOpenAi,
  fromRow: azureOpenAiFromRow,
  ruleBody: azureOpenAiRuleBody,
  logSources: [{ product: 'azure', service: 'openai', description: 'Azure OpenAI / AI services diagnostic logs (either shape)' }],
  fieldAliases: { OperationName: { column: 'action' }, operationName: { column: 'action' } },
  detailPaths: {
    request: ['$.properties', '$.properties_s'],
    error: ['$.resultSignature', '$.ResultSignature'],
  },
};
