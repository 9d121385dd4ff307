/**
 * How Cloud Logging hands entries over besides plain arrays and JSON Lines: `entries:list` response pages
 * (`{"entries": [...], "nextPageToken": ...}`, what `irctl collect gcp` stores), Pub/Sub pull responses
 * (`receivedMessages[].message`) and Pub/Sub push envelopes (`{"message": {"data": <base64 LogEntry>, ...},
 * "subscription": ...}`). Pure.
 */
import { isUtf8 } from 'node:buffer';
import { asObject, asString } from '../../normalize/event.js';
import type { ContainerFormat, EnvelopeFormat } from '../types.js';

/** An `entries:list` page: each element of `entries` is a LogEntry, as is. */
export const entriesPageContainer: ContainerFormat = {
  format: 'entries',
  description: 'an object with an "entries" array of LogEntry records (Cloud Logging entries:list response pages; irctl collect gcp stores these)',
  keys: ['entries'],
  unwrap: (bytes, parsed) => (asObject(parsed) ? { bytes, parsed } : { error: 'element of "entries" is not a JSON object' }),
};

/** The Pub/Sub message of a push envelope or a pull response element, when it carries `data`. */
function messageOf(parsed: unknown): Record<string, unknown> | undefined {
  const m = asObject(asObject(parsed)?.message);
  return m && typeof m.data === 'string' ? m : undefined;
}

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * The LogEntry a Pub/Sub message carries: `data` is the base64 of the entry's JSON bytes as Cloud Logging published
 * them. Those bytes are the raw record (like LookupEvents' CloudTrailEvent string, the record's own bytes under a
 * transport encoding); the envelope (message id, publish time, subscription) is covered by the input file's hash.
 */
function decodeMessage(m: Record<string, unknown>): { bytes: Buffer; parsed: unknown } | { error: string } {
  const data = asString(m.data)?.replace(/\s+/g, '') ?? '';
  const id = asString(m.messageId) ?? asString(m.message_id);
  const where = id !== undefined ? `Pub/Sub message ${id}` : 'Pub/Sub message';
  if (data === '' || !BASE64_RE.test(data)) return { error: `${where}: "data" is not base64` };
  const bytes = Buffer.from(data, data.includes('-') || data.includes('_') ? 'base64url' : 'base64');
  if (!isUtf8(bytes)) return { error: `${where}: decoded "data" is not UTF-8 text (a LogEntry export publishes JSON)` };
  try {
    return { bytes, parsed: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch (err) {
    return { error: `${where}: decoded "data" is not JSON (${err instanceof Error ? err.message : String(err)}); only Cloud Logging sinks' JSON LogEntry messages are read` };
  }
}

/** A Pub/Sub push envelope (`{"message": {"data", "messageId", ...}, "subscription"}`), on any input format. */
export const pubsubPushEnvelope: EnvelopeFormat = {
  name: 'Pub/Sub push envelope',
  matches: (parsed) => {
    const o = asObject(parsed);
    return o !== undefined && messageOf(o) !== undefined && !('protoPayload' in o) && !('logName' in o);
  },
  unwrap: (_bytes, parsed) => {
    const m = messageOf(parsed);
    return m ? decodeMessage(m) : { error: 'Pub/Sub envelope has no message.data' };
  },
};

/** A Pub/Sub pull response (`gcloud pubsub subscriptions pull --format=json` items or the REST `receivedMessages`). */
export const pubsubPullContainer: ContainerFormat = {
  format: 'pubsub-pull',
  description: 'an object with a "receivedMessages" array of Pub/Sub messages whose base64 data is a LogEntry (Pub/Sub pull responses)',
  keys: ['receivedMessages'],
  unwrap: (_bytes, parsed) => {
    const m = messageOf(parsed);
    return m ? decodeMessage(m) : { error: 'element of "receivedMessages" has no message.data' };
  },
};
