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

/** `irctl keys ...`: the case signing key. */
export const keysCommand = defineCommand({
  name: 'keys',
  description: 'manage the case signing key (Ed25519) used to sign evidence bundles',
  subcommands: [generate, show],
});
