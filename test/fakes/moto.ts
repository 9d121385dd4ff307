/**
 * Start and stop `moto_server` (a third-party AWS emulator, moto 5) on a free port for EC2 and S3 tests.
 * Without moto on PATH the tests that need it skip with a message saying how to install it, unless
 * IRCTL_REQUIRE_MOTO=1 (CI sets it), where they fail.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A running moto_server. */
export interface Moto {
  url: string;
  stop(): Promise<void>;
}

/** How tests should treat moto: run, or skip with a reason. */
export function motoStatus(): { available: true } | { available: false; reason: string } {
  const r = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  if (r.error === undefined && r.status === 0) return { available: true };
  const reason = 'moto_server is not on PATH: install it with `pip install "moto[server]"` to run the EC2 and S3 collection tests';
  if (process.env.IRCTL_REQUIRE_MOTO === '1') throw new Error(`${reason} (IRCTL_REQUIRE_MOTO=1: these tests must run here)`);
  return { available: false, reason };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Start moto_server and wait until it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr.slice(-500)}`);
    try {
      const r = await fetch(`${url}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not start on ${url} within 20 s: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
