import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand } from '../command.js';
import { withCase } from '../with-case.js';

const generate = defineCommand({
  name: 'generate',
  description: 'create the case signing key pair (Ed25519): <case>/keys/signing-key.pem (0600) and signing-key.pub.pem',
  configure: (cmd) => void cmd.option('--force', 'replace an existing key (bundles signed with the old key then need the old public key to verify)'),
  examples: ['irctl keys generate', 'irctl keys generate --force'],
  handler: async (_args, opts, ctx) => {
    const { generateKeyFiles } = await import('../../export/keys.js');
    const { appendCustody } = await import('../../store/custody.js');
    const { randomUUID } = await import('node:crypto');
    await withCase(ctx, { access: 'write' }, (kase) => {
      const g = generateKeyFiles(kase.keysDir, { force: opts.force === true });
      const head = appendCustody(kase.db, { action: 'keys.generate', run_id: randomUUID(), details: { fingerprint: g.fingerprint, public_key: g.publicPath, replaced: opts.force === true } }, kase.provenance, ctx.now());
      if (ctx.io.json) ctx.io.outJson({ private_key: g.privatePath, public_key: g.publicPath, fingerprint: g.fingerprint, custody_head: head });
      else {
        ctx.io.out(`private key   ${g.privatePath} (mode 0600: keep it; never send it)`);
        ctx.io.out(`public key    ${g.publicPath}`);
        ctx.io.out(`fingerprint   ${g.fingerprint}`);
        ctx.io.out('              (sha256 of the DER SubjectPublicKeyInfo; give it to recipients out of band)');
        ctx.io.out(`custody       head ${head.hash} (entry ${head.seq})`);
      }
    });
  },
});

const show = defineCommand({
  name: 'show',
  description: 'print the case signing key fingerprint and files (or of --key FILE)',
  configure: (cmd) => void cmd.option('--key <file>', 'a PEM key file (private or public) instead of the case key'),
  examples: ['irctl keys show', 'irctl keys show --key partner.pub.pem'],
  handler: async (_args, opts, ctx) => {
    const { caseKeyPaths, fingerprintOf, loadPublicKeyFile } = await import('../../export/keys.js');
    const { resolveCaseDir } = await import('../../case/case.js');
    const { ConfigError } = await import('../../errors.js');
    let file: string;
    let priv: string | null = null;
    if (typeof opts.key === 'string') file = opts.key;
    else {
      const paths = caseKeyPaths(join(resolveCaseDir(ctx.globals.case, ctx.env), 'keys'));
      if (!existsSync(paths.publicPath)) throw new ConfigError(`no case signing key at ${paths.publicPath}`, { hint: 'Create one with `irctl keys generate` (export also creates one on first use).' });
      file = paths.publicPath;
      priv = existsSync(paths.privatePath) ? paths.privatePath : null;
    }
    const fp = fingerprintOf(loadPublicKeyFile(file));
    if (ctx.io.json) ctx.io.outJson({ public_key: file, private_key: priv, fingerprint: fp, algorithm: 'ed25519' });
    else {
      ctx.io.out(`public key    ${file}`);
      if (priv) ctx.io.out(`private key   ${priv}`);
      ctx.io.out('algorithm     Ed25519');
      ctx.io.out(`fingerprint   ${fp}`);
      ctx.io.out('              (sha256 of the DER SubjectPublicKeyInfo: openssl pkey -pubin -in KEY -outform DER | sha256sum)');
    }
  },
});

const trust = defineCommand({
  name: 'trust',
  description: `trust a signer's public key for \`irctl verify\` (stored per user in $XDG_CONFIG_HOME/irctl/trusted-keys/, default ~/.config/irctl/trusted-keys/; never in a case)`,
  configure: (cmd) => void cmd.argument('<pub.pem>', 'the public key (SPKI PEM) whose fingerprint you checked out of band'),
  examples: ['irctl keys trust partner.pub.pem'],
  handler: async (args, _opts, ctx) => {
    const { trustKey, trustedKeysDir } = await import('../../export/keys.js');
    const t = trustKey(trustedKeysDir(ctx.env), args[0] ?? '');
    if (ctx.io.json) ctx.io.outJson({ fingerprint: t.fingerprint, file: t.file, added: t.added });
    else {
      ctx.io.out(`fingerprint   ${t.fingerprint}`);
      ctx.io.out(`trusted       ${t.file}${t.added ? '' : ' (already trusted)'}`);
      ctx.io.out('              (compare this fingerprint with the one the signer gave you out of band: bundles it signed now verify as authenticated)');
    }
  },
});

const list = defineCommand({
  name: 'list',
  description: 'list the signer keys you trust (see `irctl keys trust`)',
  examples: ['irctl keys list', 'irctl keys list --json'],
  handler: async (_args, _opts, ctx) => {
    const { listTrustedKeys, trustedKeysDir } = await import('../../export/keys.js');
    const dir = trustedKeysDir(ctx.env);
    const { keys, warnings } = listTrustedKeys(dir);
    for (const w of warnings) ctx.io.notify({ level: 'warn', code: 'IRCTL_VERIFY_W6201', message: w });
    if (ctx.io.json) for (const k of keys) ctx.io.outJson({ fingerprint: k.fingerprint, file: k.file });
    else if (keys.length === 0) ctx.io.out(`no trusted keys in ${dir} (add one with: irctl keys trust KEY.pub.pem)`);
    else for (const k of keys) ctx.io.out(`${k.fingerprint}  ${k.file}`);
  },
});

const untrust = defineCommand({
  name: 'untrust',
  description: 'stop trusting a signer key, by fingerprint (or a unique prefix of 8+ hex digits) or by its PEM file',
  configure: (cmd) => void cmd.argument('<fingerprint|pub.pem>', 'which key'),
  examples: ['irctl keys untrust 3f2a9c1e', 'irctl keys untrust partner.pub.pem'],
  handler: async (args, _opts, ctx) => {
    const { untrustKey, trustedKeysDir } = await import('../../export/keys.js');
    const removed = untrustKey(trustedKeysDir(ctx.env), args[0] ?? '');
    for (const k of removed) {
      if (ctx.io.json) ctx.io.outJson({ fingerprint: k.fingerprint, file: k.file, removed: true });
      else ctx.io.out(`no longer trusted  ${k.fingerprint}  (${k.file} removed)`);
    }
  },
});

/** `irctl keys ...`: the case signing key, and the signer keys the user trusts. */
export const keysCommand = defineCommand({
  name: 'keys',
  description: 'manage the case signing key (Ed25519) used to sign evidence bundles, and the signer keys you trust when verifying',
  examples: ['irctl keys generate', 'irctl keys show', 'irctl keys trust partner.pub.pem', 'irctl keys list'],
  subcommands: [generate, show, trust, list, untrust],
});
