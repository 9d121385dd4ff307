import { defineCommand } from '../command.js';
import { sanitize } from '../render/table.js';
import { withCase } from '../with-case.js';

/**
 * `irctl case init`: an empty case, on purpose. Other commands never leave an empty case behind when they fail, so a
 * case that should exist before any evidence (to add context.yaml first, to hand the folder over) is made here. The
 * first custody entry, `case.init`, records who made it, where and when.
 */
export const caseInitCommand = defineCommand({
  name: 'init',
  description: 'create an empty case (evidence store and custody log) in --case DIR; an existing case is left as it is',
  examples: ['irctl --case ./case-42 case init', 'irctl --case ./case-42 case init --json'],
  handler: async (_args, _opts, ctx) => {
    const { appendCustody, chainHead } = await import('../../store/custody.js');
    const { randomUUID } = await import('node:crypto');
    await withCase(ctx, { access: 'write', create: true }, (kase) => {
      const before = chainHead(kase.db);
      const created = before.seq === 0;
      const head = created ? appendCustody(kase.db, { action: 'case.init', run_id: randomUUID(), details: { case: kase.dir } }, kase.provenance, ctx.now()) : before;
      if (ctx.io.json) {
        ctx.io.outJson({ case: kase.dir, created, custody_head: head });
        return;
      }
      ctx.io.out(`case      ${sanitize(kase.dir)}${created ? ' (created)' : ' (already a case: nothing changed)'}`);
      ctx.io.out(`custody   head ${head.hash} (entry ${head.seq})`);
    });
  },
});
