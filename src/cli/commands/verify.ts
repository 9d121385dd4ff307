import type { KeyObject } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { sanitize } from '../render/table.js';

/** `irctl verify BUNDLE`: offline verification of a bundle. */
export const verifyCommand = defineCommand({
  name: 'verify',
  description: 'verify a signed evidence bundle offline: signature and signer, every file digest, every raw record hash, the custody chain, the manifest counts (exit 5 on any mismatch)',
  configure: (cmd) =>
    void cmd
      .argument('<bundle>', 'the .bundle.tar.gz file')
      .option('--key <pub.pem>', "the public key the bundle must be signed by (default inside a case: the case's key)"),
  examples: ['irctl verify T-3.bundle.tar.gz --key signing-key.pub.pem', 'irctl verify case.bundle.tar.gz --json'],
  handler: async (args, opts, ctx) => {
    const { loadPublicKeyFile, caseKeyPaths } = await import('../../export/keys.js');
    const { resolveCaseDir } = await import('../../case/case.js');
    const { verifyBundle } = await import('../../export/verify.js');
    const file = resolve(args[0] ?? '');
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no bundle file at ${file}`, { hint: 'Pass the path of a .bundle.tar.gz written by `irctl export`.' });
    let expected: { key: KeyObject; source: string } | undefined;
    if (typeof opts.key === 'string') expected = { key: loadPublicKeyFile(opts.key), source: `--key ${opts.key}` };
    else {
      const caseDir = resolveCaseDir(ctx.globals.case, ctx.env);
      const { publicPath } = caseKeyPaths(join(caseDir, 'keys'));
      if (existsSync(publicPath)) expected = { key: loadPublicKeyFile(publicPath), source: `case key ${publicPath}` };
    }
    const thread = ctx.env.IRCTL_VERIFY_THREADS === '0' ? false : ctx.env.IRCTL_VERIFY_THREADS === '1' ? true : 'auto';
    const r = await verifyBundle(file, { expectedKey: expected, thread });
    if (ctx.io.json) {
      ctx.io.outJson(r);
      return r.ok ? ExitCode.Ok : ExitCode.Integrity;
    }
    const s = (v: string): string => sanitize(v);
    ctx.io.out(`bundle        ${r.bundle}`);
    if (r.bundle_sha256) ctx.io.out(`sha256        ${r.bundle_sha256}`);
    ctx.io.out(`signing key   ${r.fingerprint ?? '(none readable)'} (fingerprint of signing-key.pub.pem in the bundle)`);
    ctx.io.out(`expected key  ${r.expected_fingerprint ? `${r.expected_fingerprint} (${s(r.expected_key_source ?? '')})` : 'none given: pass --key with the public key you received out of band'}`);
    if (r.signed_at) ctx.io.out(`signed        ${s(r.signed_at)}${r.signer ? ` by ${s(r.signer.os_user)}@${s(r.signer.host)} (irctl ${s(r.signer.tool_version)})` : ''}`);
    if (r.scope) ctx.io.out(`scope         ${s(JSON.stringify(r.scope))}`);
    if (r.custody_head) ctx.io.out(`custody head  ${s(r.custody_head.hash)} (entry ${r.custody_head.seq}) at export`);
    ctx.io.out('checks');
    for (const c of r.checks) ctx.io.out(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(15)} ${s(c.detail)}`);
    if (r.ok) ctx.io.out('result        OK: every member is as signed, raw records match their hashes, custody chain intact');
    else {
      ctx.io.out(`result        FAILED: ${r.problems.length} problem(s)`);
      for (const p of r.problems) ctx.io.out(`  - ${s(p)}`);
    }
    return r.ok ? ExitCode.Ok : ExitCode.Integrity;
  },
});
