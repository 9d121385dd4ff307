/**
 * A local HTTP server speaking the Anthropic Messages API (`POST /v1/messages`, and the Bedrock runtime's
 * `POST /model/<id>/invoke` with the same body) with scripted conversations, so the real @anthropic-ai/sdk (or
 * @anthropic-ai/bedrock-sdk) runs against it (ANTHROPIC_BASE_URL / ANTHROPIC_BEDROCK_BASE_URL).
 *
 * Behaviour spec:
 * - Each POST /v1/messages consumes the next script step, in order; every request is recorded (headers + parsed
 *   body) for assertions. When the script is exhausted the server answers 500 with an api_error.
 * - `message` steps answer 200 with a Message object (`id`, `type: "message"`, `role: "assistant"`, `model`,
 *   `content`, `stop_reason`, `usage`); the body may be computed from the request (to cite ids the tools returned).
 * - `error` steps answer with the status and the API's error envelope `{type: "error", error: {type, message}}`,
 *   with `retry-after: 0` so SDK retries do not wait (429 rate_limit_error, 529 overloaded_error, ...).
 * - `stall` accepts the request and never answers (the client's timeout must fire).
 * - `raw` answers the given bytes as is (malformed JSON or a body of the wrong shape).
 * - Other paths answer 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A recorded request. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body. */
  body: MessagesBody;
  /** Raw body text. */
  text: string;
}

/** The parts of a Messages request the fakes look at. */
export interface MessagesBody {
  model: string;
  max_tokens: number;
  system?: string;
  tools?: Array<{ name: string; input_schema: unknown }>;
  tool_choice?: { type: string; name?: string };
  messages: Array<{ role: string; content: string | Array<Record<string, unknown>> }>;
}

/** One scripted answer. */
export type ScriptStep =
  | { kind: 'message'; body: Record<string, unknown> | ((req: RecordedRequest) => Record<string, unknown>) }
  | { kind: 'error'; status: number; type: string; message?: string }
  | { kind: 'stall' }
  | { kind: 'raw'; status: number; body: string };

/** A running fake. */
export interface FakeAnthropic {
  /** Base URL for ANTHROPIC_BASE_URL. */
  url: string;
  /** Requests received, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

let msgSeq = 0;

/** A Message object. */
export function message(content: Array<Record<string, unknown>>, stop_reason: string, usage = { input_tokens: 1000, output_tokens: 100 }): Record<string, unknown> {
  return {
    id: `msg_fake_${++msgSeq}`,
    type: 'message',
    role: 'assistant',
    model: 'claude-test-model',
    content,
    stop_reason,
    stop_sequence: null,
    usage: { ...usage, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

/** A tool_use turn. */
export function toolUse(calls: Array<{ name: string; input: unknown }>, text = 'Next question.'): Record<string, unknown> {
  return message([{ type: 'text', text }, ...calls.map((c, i) => ({ type: 'tool_use', id: `toolu_fake_${++msgSeq}_${i}`, name: c.name, input: c.input }))], 'tool_use');
}

/** A submit_verdict turn. */
export function submitVerdict(input: Record<string, unknown>): Record<string, unknown> {
  return message([{ type: 'tool_use', id: `toolu_fake_${++msgSeq}`, name: 'submit_verdict', input }], 'tool_use');
}

/** Tool results (parsed) in the last user message of a request. */
export function lastToolResults(req: RecordedRequest): Array<{ is_error: boolean; content: string; json: Record<string, unknown> | undefined }> {
  const last = req.body.messages[req.body.messages.length - 1];
  if (!last || typeof last.content === 'string') return [];
  return last.content
    .filter((b) => b.type === 'tool_result')
    .map((b) => {
      const content = typeof b.content === 'string' ? b.content : JSON.stringify(b.content);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(content) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      return { is_error: b.is_error === true, content, json };
    });
}

/** Evidence ids in every tool result of a request's conversation. */
export function evidenceIdsSeen(req: RecordedRequest): string[] {
  const ids: string[] = [];
  for (const m of req.body.messages) {
    if (typeof m.content === 'string') continue;
    for (const b of m.content) {
      if (b.type !== 'tool_result' || typeof b.content !== 'string') continue;
      try {
        const j = JSON.parse(b.content) as { rows?: Array<{ evidence_id?: string }> };
        for (const r of j.rows ?? []) if (typeof r.evidence_id === 'string') ids.push(r.evidence_id);
      } catch {
        // an error result
      }
    }
  }
  return ids;
}

/** Start the fake on 127.0.0.1 with a script. */
export async function startFakeAnthropic(script: ScriptStep[]): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let next = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      // Anthropic: POST /v1/messages. Bedrock runtime: POST /model/<model id>/invoke (same body and answer).
      if (req.method !== 'POST' || !/^\/(v1\/messages|model\/[^/]+\/invoke)/.test(req.url ?? '')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `no route ${req.method ?? ''} ${req.url ?? ''}` } }));
        return;
      }
      let body: MessagesBody;
      try {
        body = JSON.parse(text) as MessagesBody;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'body is not JSON' } }));
        return;
      }
      const rec: RecordedRequest = { method: req.method, url: req.url ?? '', headers: req.headers, body, text };
      requests.push(rec);
      const step = script[next++];
      if (!step) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'fake: script exhausted' } }));
        return;
      }
      switch (step.kind) {
        case 'message': {
          const out = typeof step.body === 'function' ? step.body(rec) : step.body;
          res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_fake_${next}` }).end(JSON.stringify(out));
          return;
        }
        case 'error':
          res
            .writeHead(step.status, { 'content-type': 'application/json', 'retry-after': '0', 'x-should-retry': 'true' })
            .end(JSON.stringify({ type: 'error', error: { type: step.type, message: step.message ?? step.type } }));
          return;
        case 'stall':
          return; // never answer
        case 'raw':
          res.writeHead(step.status, { 'content-type': 'application/json' }).end(step.body);
          return;
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
