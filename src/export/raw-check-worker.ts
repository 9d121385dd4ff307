/**
 * Worker thread of `irctl verify`: checks pieces of whole lines of the raw-records member as the main thread hands
 * them over (see raw-check.ts), returning a credit per piece and its part of the result at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RawRecordChecker, type FromChecker, type ToChecker } from './raw-check.js';

const port = parentPort;
if (port) {
  const checker = new RawRecordChecker((workerData as { name: string }).name);
  const post = (m: FromChecker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  port.on('message', (m: ToChecker) => {
    try {
      if (m.kind === 'lines') {
        checker.feedLines({ buf: Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), first: m.first });
        // The piece's record keys go with its credit (moved, not copied): the main thread keeps the only sets.
        const keys = checker.takeKeys();
        post({ kind: 'credit', keys }, [keys.buffer as ArrayBuffer]);
      } else post({ kind: 'result', result: checker.end() });
    } catch (err) {
      post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  });
}
