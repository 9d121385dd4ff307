import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import type { KnownKey } from '../../export/verify.js';
import { defineCommand } from '../command.js';
import { sanitize } from '../render/table.js';

/** `irctl verify BUNDLE`: offline verification of a bundle. */
export const verifyCommand = defineCommand({
  name: 'verify',
  description:
    'verify a signed evidence bundle offline: signature and signer, every file digest, every raw record hash and reference, the custody chain, the manifest counts (exit 5 on any mismatch, 9 when intact but signed by a key you have not pinned or trusted)',
  configure: (cmd) =>
    void cmd
      .argument('<bundle>', 'the .bundle.tar.gz file')
      .option('--key <pub.pem>', 'the public key the bundle must be signed by (without it: a key in your trusted keys, see `irctl keys trust`, or the case key inside the case)'),
  examples: ['irctl verify T-3.bundle.tar.gz --key signing-key.pub.pem', 'irctl keys trust partner.pub.pem && irctl verify case.bundle.tar.gz --json'],
  handler: async (args, opts, ctx) => {
    const { loadPublicKeyFile, caseKeyPaths, listTrustedKeys, trustedKeysDir } = await import('../../export/keys.js');
    const { resolveCaseDir } = await import('../../case/case.js');
    const { verifyBundle } = await import('../../export/verify.js');
    const file = resolve(args[0] ?? '');
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no bundle file at ${file}`, { hint: 'Pass the path of a .bundle.tar.gz written by `irctl export`.' });
    // Who may have signed: exactly the --key given; else the user's trusted keys and the case's own key. The key
    // inside the bundle proves only that the bundle is intact, never who made it.
    let expected: KnownKey | undefined;
    const trusted: KnownKey[] = [];
    if (typeof opts.key === 'string') expected = { key: loadPublicKeyFile(opts.key), source: `--key ${opts.key}` };
    else {
      const dir = trustedKeysDir(ctx.env);
      const { keys, warnings } = listTrustedKeys(dir);
      for (const w of warnings) ctx.io.notify({ level: 'warn', code: 'IRCTL_VERIFY_W6201', message: w });
      for (const k of keys) trusted.push({ key: k.key, source: `trusted key ${k.file}` });
      const { publicPath } = caseKeyPaths(join(resolveCaseDir(ctx.globals.case, ctx.env), 'keys'));
      if (existsSync(publicPath)) trusted.push({ key: loadPublicKeyFile(publicPath), source: `case key ${publicPath}` });
    }
    const thread = ctx.env.IRCTL_VERIFY_THREADS === '0' ? false : ctx.env.IRCTL_VERIFY_THREADS === '1' ? true : 'auto';
    const r = await verifyBundle(file, { expectedKey: expected, trustedKeys: trusted, thread });
    // Integrity first: a bundle that fails a check is exit 5 whoever signed it.
    const code = !r.intact ? ExitCode.Integrity : !r.authenticated ? ExitCode.NotAuthenticated : ExitCode.Ok;
    if (ctx.io.json) {
      ctx.io.outJson(r);
      return code;
    }
    const s = (v: string): string => sanitize(v);
    ctx.io.out(`bundle        ${r.bundle}`);
    if (r.bundle_sha256) ctx.io.out(`sha256        ${r.bundle_sha256}`);
    ctx.io.out(`signing key   ${r.fingerprint ?? '(none readable)'} (fingerprint of signing-key.pub.pem in the bundle)`);
    if (r.expected_fingerprint) ctx.io.out(`expected key  ${r.expected_fingerprint} (${s(r.expected_key_source ?? '')})`);
    else ctx.io.out(`trusted by    ${r.signer_key_source ? s(r.signer_key_source) : `none of your ${trusted.length} trusted key(s): pass --key with the public key you received out of band`}`);
    if (r.signed_at) ctx.io.out(`signed        ${s(r.signed_at)}${r.signer ? ` by ${s(r.signer.os_user)}@${s(r.signer.host)} (irctl ${s(r.signer.tool_version)})` : ''}`);
    if (r.scope) ctx.io.out(`scope         ${s(JSON.stringify(r.scope))}`);
    if (r.custody_head) ctx.io.out(`custody head  ${s(r.custody_head.hash)} (entry ${r.custody_head.seq}) at export`);
    ctx.io.out('checks');
    for (const c of r.checks) ctx.io.out(`  ${c.ok ? 'ok  ' : c.name === 'signer' && r.intact ? 'WARN' : 'FAIL'}  ${c.name.padEnd(15)} ${s(c.detail)}`);
    if (r.actions.length > 0) {
      ctx.io.out('actions       containment recorded in the bundle');
      for (const a of r.actions) ctx.io.out(`  ${s(a.finished_at)}  ${s(a.threat_id)} ${s(a.step_id)} ${s(a.operation)} ${s(a.status)}: ${s(a.kind)} ${s(a.target)} (by ${s(a.approver)}, custody entry ${a.custody_seq})`);
    }
    if (code === ExitCode.Ok) ctx.io.out('result        OK: every member is as signed, raw records match their hashes, custody chain intact, signed by a key you trust');
    else if (code === ExitCode.NotAuthenticated) {
      ctx.io.out('result        INTACT, SIGNER NOT AUTHENTICATED: every member is as signed and every check holds, but nothing says who signed it');
      ctx.io.out(`  - compare the signing key fingerprint ${r.fingerprint ?? ''} with the one you received out of band (phone, ticket),`);
      ctx.io.out('    then pass --key with that public key, or trust it once: irctl keys trust KEY.pub.pem');
    } else {
      ctx.io.out(`result        FAILED: ${r.problems.length} problem(s)`);
      for (const p of r.problems) ctx.io.out(`  - ${s(p)}`);
    }
    return code;
  },
});
