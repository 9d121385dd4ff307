/**
 * Real file systems for storage tests: a small tmpfs (disk full) and read-only bind mounts and immutable files
 * (write-blocked evidence). They need root, which CI has; as root `chmod` proves nothing, so nothing is simulated.
 * A test that cannot mount fails with the reason: it is never skipped quietly.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    const uid = process.getuid?.();
    throw new Error(
      `\`${cmd} ${args.join(' ')}\` failed (${stderr || String(err)}). These storage tests need root (CI runs as root; uid here ${String(uid)}) ` +
        'to mount a tmpfs, bind-mount read-only or chattr +i: run them as root, e.g. in the CI container.',
      { cause: err },
    );
  }
}

/** Mount a tmpfs of `size` (e.g. `2m`) on `dir` (made if missing). */
export function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
}

/** Bind-mount `src` read-only on `dst` (made if missing). */
export function bindReadOnly(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  run('mount', ['--bind', src, dst]);
  // One step (`mount --bind -o ro`) is enough on recent util-linux; the remount makes older ones read-only too.
  run('mount', ['-o', 'remount,bind,ro', dst]);
}

/** Unmount, ignoring "not mounted" (cleanup after a failed test). */
export function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
}

/** `chattr +i` / `-i` on paths. */
export function setImmutable(on: boolean, ...paths: string[]): void {
  run('chattr', [on ? '+i' : '-i', ...paths]);
}
