/**
 * The LLM port and its one implementation: the only file that imports @anthropic-ai/sdk, @anthropic-ai/bedrock-sdk
 * or @anthropic-ai/vertex-sdk, each loaded lazily on first use. Timeouts and retries are set explicitly (the SDK
 * defaults are a 10-minute timeout and 2 retries). Every failure becomes an {@link LlmUnavailableError} with a kind,
 * so the agent can fall back to the deterministic engine with a visible notice.
 */
import { z } from 'zod';

/** Which service hosts Claude. */
export type LlmProvider = 'anthropic' | 'bedrock' | 'vertex';

/** A content block we send or receive (a subset of the Messages API). */
export type LlmBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };

/** A message. */
export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string | LlmBlock[];
}

/** A request (what is sent, before the SDK adds headers). */
export interface LlmRequest {
  model: string;
  max_tokens: number;
  system: string;
  tools: Array<{ name: string; description: string; input_schema: Record<string, unknown> }>;
  messages: LlmMessage[];
  tool_choice?: { type: 'auto' } | { type: 'any' } | { type: 'tool'; name: string };
}

/** A response, validated. */
export interface LlmResponse {
  stop_reason: string | null;
  content: LlmBlock[];
  usage: { input_tokens: number; output_tokens: number };
  model: string;
}

/** Why the model could not be used. */
export type LlmFailureKind = 'refused' | 'rate_limited' | 'overloaded' | 'timeout' | 'unreachable' | 'auth' | 'bad_request' | 'server' | 'malformed' | 'aborted' | 'config';

/** The model could not be used for this run. */
export class LlmUnavailableError extends Error {
  /** Why. */
  readonly kind: LlmFailureKind;
  constructor(kind: LlmFailureKind, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.kind = kind;
  }
}

/** The port. */
export interface LlmClient {
  /** `anthropic`, `bedrock` or `vertex`. */
  readonly provider: LlmProvider;
  /** Send one request. */
  create(req: LlmRequest, signal: AbortSignal): Promise<LlmResponse>;
}

/** Settings (flags > IRCTL_* env > defaults, merged by the agent). */
export interface LlmSettings {
  provider: LlmProvider;
  model: string;
  /** Anthropic API key (provider anthropic). */
  apiKey?: string | undefined;
  /** Base URL (ANTHROPIC_BASE_URL; tests point it at the local fake). */
  baseURL?: string | undefined;
  /** Region for Bedrock (AWS region) or Vertex (e.g. us-east5, global). */
  region?: string | undefined;
  /** Vertex project id. */
  projectId?: string | undefined;
  /** Per-request timeout. @default 60000 */
  timeoutMs: number;
  /** SDK retries on 429/5xx/connection errors. @default 1 */
  maxRetries: number;
}

const blockSchema = z.union([
  z.object({ type: z.literal('text'), text: z.string() }).loose(),
  z.object({ type: z.literal('tool_use'), id: z.string().min(1), name: z.string().min(1), input: z.unknown() }).loose(),
  z.object({ type: z.string() }).loose(),
]);
const responseSchema = z
  .object({
    content: z.array(blockSchema),
    stop_reason: z.string().nullable(),
    model: z.string().optional(),
    usage: z.object({ input_tokens: z.number().nullable().optional(), output_tokens: z.number().nullable().optional() }).loose().optional(),
  })
  .loose();

/** Validate a raw response body (also used by tests). */
export function parseResponse(raw: unknown, model: string): LlmResponse {
  const r = responseSchema.safeParse(raw);
  if (!r.success) throw new LlmUnavailableError('malformed', `malformed response from the model: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const content: LlmBlock[] = [];
  for (const b of r.data.content) {
    if (b.type === 'text' && typeof (b as { text?: unknown }).text === 'string') content.push({ type: 'text', text: (b as { text: string }).text });
    else if (b.type === 'tool_use') {
      const t = b as { id: string; name: string; input: unknown };
      content.push({ type: 'tool_use', id: t.id, name: t.name, input: t.input });
    }
    // other block types (thinking, server tools) are ignored
  }
  return {
    stop_reason: r.data.stop_reason,
    content,
    usage: { input_tokens: r.data.usage?.input_tokens ?? 0, output_tokens: r.data.usage?.output_tokens ?? 0 },
    model: r.data.model ?? model,
  };
}

/** List prices per million tokens (input, output) in USD by model family; `null` cost when unknown. */
export const PRICES: Array<{ match: RegExp; input: number; output: number }> = [
  { match: /opus-4-[5-9]|opus-[5-9]/, input: 5, output: 25 },
  { match: /opus/, input: 15, output: 75 },
  { match: /sonnet/, input: 3, output: 15 },
  { match: /haiku-4|haiku-[5-9]/, input: 1, output: 5 },
  { match: /haiku/, input: 0.8, output: 4 },
];

/** Estimated cost of a run, or null when the model is not in the price table. */
export function estimateCost(model: string, inputTokens: number, outputTokens: number): number | null {
  const p = PRICES.find((x) => x.match.test(model));
  if (!p) return null;
  return Math.round(((inputTokens * p.input + outputTokens * p.output) / 1_000_000) * 10000) / 10000;
}

/** Default model when neither --model nor IRCTL_MODEL is set. */
export const DEFAULT_MODEL = 'claude-sonnet-4-5';

interface MessagesApi {
  messages: { create(body: Record<string, unknown>, opts: { signal: AbortSignal }): Promise<unknown> };
}

function classify(err: unknown): LlmUnavailableError {
  if (err instanceof LlmUnavailableError) return err;
  const e = err as { status?: unknown; name?: unknown; message?: unknown; constructor?: { name?: string } };
  const name = e?.constructor?.name ?? (typeof e?.name === 'string' ? e.name : '');
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  const status = typeof e?.status === 'number' ? e.status : undefined;
  if (name === 'APIUserAbortError') return new LlmUnavailableError('aborted', 'request aborted', { cause: err });
  if (name === 'APIConnectionTimeoutError') return new LlmUnavailableError('timeout', `the model did not answer in time (${msg})`, { cause: err });
  if (name === 'APIConnectionError') return new LlmUnavailableError('unreachable', `cannot reach the model endpoint (${msg})`, { cause: err });
  if (status === 429) return new LlmUnavailableError('rate_limited', `rate-limited by the model provider (HTTP 429)`, { cause: err });
  if (status === 529) return new LlmUnavailableError('overloaded', `the model provider is overloaded (HTTP 529)`, { cause: err });
  if (status === 401 || status === 403) return new LlmUnavailableError('auth', `the model provider refused the credentials (HTTP ${status}): check ANTHROPIC_API_KEY or the cloud credentials`, { cause: err });
  if (status !== undefined && status >= 500) return new LlmUnavailableError('server', `the model provider failed (HTTP ${status})`, { cause: err });
  if (status !== undefined && status >= 400) return new LlmUnavailableError('bad_request', `the model provider rejected the request (HTTP ${status}): ${msg.slice(0, 200)}`, { cause: err });
  if (err instanceof SyntaxError) return new LlmUnavailableError('malformed', `malformed response from the model: ${msg}`, { cause: err });
  return new LlmUnavailableError('unreachable', `model call failed: ${msg.slice(0, 200)}`, { cause: err });
}

/** Build the client for the settings; the SDK is imported here, lazily. */
export async function createLlmClient(s: LlmSettings): Promise<LlmClient> {
  let api: MessagesApi;
  const common = { timeout: s.timeoutMs, maxRetries: s.maxRetries, logLevel: 'off' as const };
  try {
    if (s.provider === 'bedrock') {
      const { AnthropicBedrock } = await import('@anthropic-ai/bedrock-sdk');
      api = new AnthropicBedrock({ ...common, ...(s.region ? { awsRegion: s.region } : {}), ...(s.baseURL ? { baseURL: s.baseURL } : {}) }) as unknown as MessagesApi;
    } else if (s.provider === 'vertex') {
      const { AnthropicVertex } = await import('@anthropic-ai/vertex-sdk');
      api = new AnthropicVertex({ ...common, ...(s.region ? { region: s.region } : {}), ...(s.projectId ? { projectId: s.projectId } : {}), ...(s.baseURL ? { baseURL: s.baseURL } : {}) }) as unknown as MessagesApi;
    } else {
      if (!s.apiKey) throw new LlmUnavailableError('config', 'ANTHROPIC_API_KEY is not set');
      const { Anthropic } = await import('@anthropic-ai/sdk');
      api = new Anthropic({ ...common, apiKey: s.apiKey, ...(s.baseURL ? { baseURL: s.baseURL } : {}) }) as unknown as MessagesApi;
    }
  } catch (err) {
    if (err instanceof LlmUnavailableError) throw err;
    throw new LlmUnavailableError('config', `cannot set up the ${s.provider} client: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return {
    provider: s.provider,
    async create(req, signal) {
      let raw: unknown;
      try {
        raw = await api.messages.create(req as unknown as Record<string, unknown>, { signal });
      } catch (err) {
        throw classify(err);
      }
      return parseResponse(raw, req.model);
    },
  };
}
