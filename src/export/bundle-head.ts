/**
 * The custody head a bundle records (`manifest.json` `custody_head`), for `irctl case verify --bundle`: a bundle
 * handed on is an anchor kept outside the case. This reads the manifest only; whether the bundle itself is authentic
 * is `irctl verify`'s question.
 */
import { createReadStream, existsSync } from 'node:fs';
import { IntegrityError, UsageError } from '../errors.js';
import { ArchiveError, readTarGz } from './bundle.js';
import { MANIFEST_FILE } from './manifest.js';

/** The manifest is small; anything larger is not one irctl wrote. */
const MAX_MANIFEST_BYTES = 1 << 20;

/** The custody head recorded in a bundle's manifest. */
export async function readBundleHead(file: string): Promise<{ seq: number; hash: string }> {
  if (!existsSync(file)) throw new UsageError(`${file} does not exist`, { hint: 'Pass the bundle file written by `irctl export`.' });
  let text: string | undefined;
  try {
    await readTarGz(createReadStream(file), async (e) => {
      if (e.name.replace(/^\.\//, '') !== MANIFEST_FILE || text !== undefined) return;
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of e.stream) {
        size += chunk.length;
        if (size > MAX_MANIFEST_BYTES) throw new IntegrityError(`${file}: ${MANIFEST_FILE} is larger than ${MAX_MANIFEST_BYTES} bytes: not an irctl bundle`);
        parts.push(chunk);
      }
      text = Buffer.concat(parts).toString('utf8');
    });
  } catch (err) {
    if (err instanceof ArchiveError) throw new IntegrityError(`${file}: ${err.message}`, { cause: err });
    throw err;
  }
  if (text === undefined) throw new IntegrityError(`${file} has no ${MANIFEST_FILE}: not an irctl evidence bundle`);
  let head: unknown;
  try {
    head = (JSON.parse(text) as { custody_head?: unknown }).custody_head;
  } catch (err) {
    throw new IntegrityError(`${file}: ${MANIFEST_FILE} is not valid JSON`, { cause: err });
  }
  const h = head as { seq?: unknown; hash?: unknown } | undefined;
  if (!h || !Number.isSafeInteger(h.seq) || typeof h.hash !== 'string' || !/^[0-9a-f]{64}$/.test(h.hash)) {
    throw new IntegrityError(`${file}: ${MANIFEST_FILE} records no custody head (custody_head.seq and .hash)`);
  }
  return { seq: h.seq as number, hash: h.hash };
}
