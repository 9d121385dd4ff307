/**
 * Public entry points of the export stage, for the CLI and for `investigate` (which ends by writing the threat's
 * bundle).
 */
import type { CaseHandle } from '../case/case.js';
import type { IoHost } from '../io/io-host.js';
import { exportBundle } from './export.js';

export { exportBundle, type ExportRequest, type ExportResult } from './export.js';
export { verifyBundle, type VerifyOptions, type VerifyReport } from './verify.js';

/** A silent host for callers that do not pass one (notices are dropped). */
const quietIo: IoHost = {
  json: true,
  color: false,
  notify: () => undefined,
  out: () => undefined,
  outJson: () => undefined,
  outRaw: () => undefined,
  progress: () => ({ update: () => undefined, succeed: () => undefined, fail: () => undefined, stop: () => undefined }),
  confirm: (_q, d) => Promise.resolve(d),
  ask: (_q, d) => Promise.resolve(d),
};

/**
 * Write the signed bundle of one threat (default path `<case>/exports/<id>-<UTC timestamp>.bundle.tar.gz`) and
 * append the `export.bundle` custody entry. Generates the case key on first use (with a notice on `io`).
 */
export async function writeThreatBundle(
  kase: CaseHandle,
  threatId: string,
  opts: { out?: string; keyFile?: string; now?: () => Date; io?: IoHost; signal?: AbortSignal } = {},
): Promise<{ path: string; sha256: string; fingerprint: string; custody_head: { seq: number; hash: string } }> {
  const r = await exportBundle(kase, {
    scope: { kind: 'threat', threatId },
    out: opts.out,
    keyFile: opts.keyFile,
    now: opts.now ?? (() => new Date()),
    io: opts.io ?? quietIo,
    signal: opts.signal,
  });
  return { path: r.path, sha256: r.sha256, fingerprint: r.fingerprint, custody_head: r.custody_head };
}
