import { ExitCode } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withCase } from '../with-case.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `irctl detect`: run every rule over the case, store detections, group them into threats. */
export const detectCommand = defineCommand({
  name: 'detect',
  description: 'run detection rules over the case and group detections into threats',
  configure: (cmd) =>
    void cmd
      .option('--rules <dir>', 'also run the Sigma rules in this folder (repeatable)', collect, [])
      .option('--no-builtin', 'do not run the built-in rule pack')
      .option('--window <duration>', 'join detections that share an entity when at most this far apart (30m, 6h, 2d)', '24h')
      .option('--workload-window <duration>', 'join detections that share only a workload (host, container, instance, private address) when at most this far apart', '1h'),
  examples: ['irctl detect', 'irctl detect --rules ./sigma/rules/cloud/aws --json', 'irctl detect --no-builtin --rules ./my-rules --window 6h'],
  handler: async (_args, opts, ctx) => {
    const { parseDurationArg } = await import('../../correlate/duration.js');
    const windowMs = parseDurationArg(typeof opts.window === 'string' ? opts.window : '24h', '--window');
    const workloadWindowMs = parseDurationArg(typeof opts.workloadWindow === 'string' ? opts.workloadWindow : '1h', '--workload-window');
    const ruleDirs = Array.isArray(opts.rules) ? opts.rules.map(String) : [];
    const builtin = opts.builtin !== false;
    return withCase(ctx, { access: 'write' }, async (kase) => {
      const { loadContext } = await import('../../context/context.js');
      const { runDetect } = await import('../../correlate/run-detect.js');
      const { loadRules } = await import('../../correlate/rule-loader.js');
      const { DEFAULT_MARGIN_MS } = await import('../../timeline/timeline.js');
      const { context, warnings } = loadContext(kase.contextPath);
      for (const w of warnings) ctx.io.notify({ level: 'warn', code: 'IRCTL_DETECT_W3002', message: w });
      const { configureProviders } = await import('../../sources/index.js');
      for (const n of configureProviders(ctx.env)) ctx.io.notify({ level: 'info', code: 'IRCTL_DETECT_I3005', message: n });
      const progress = ctx.io.progress('detect: loading rules');
      let s;
      try {
        s = await runDetect(kase, loadRules, {
          builtin,
          ruleDirs,
          windowMs,
          workloadWindowMs,
          marginMs: DEFAULT_MARGIN_MS,
          context,
          signal: ctx.signal,
          now: ctx.now,
          thread: ctx.env.IRCTL_DETECT_THREADS === '0' ? false : ctx.env.IRCTL_DETECT_THREADS === '1' ? true : 'auto',
          onProgress: (seen, total) => progress.update(`detect: ${seen.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} events`),
        });
      } finally {
        progress.stop();
      }
      for (const e of s.rule_problems) {
        const where = `${e.file}${e.line !== undefined ? `:${e.line}` : ''}`;
        ctx.io.notify({
          level: 'warn',
          code: e.level === 'error' ? 'IRCTL_DETECT_W3001' : 'IRCTL_DETECT_W3003',
          message: `${where}: ${e.message}${e.level === 'error' ? ' (rule skipped)' : ''}`,
          data: { ...e },
        });
      }
      if (s.interrupted) {
        ctx.io.notify({
          level: 'warn',
          code: 'IRCTL_DETECT_W3004',
          message: `interrupted after ${s.events} events: nothing was written, the previous detect results are unchanged`,
        });
        if (ctx.io.json) ctx.io.outJson(s);
        return ExitCode.Interrupted;
      }
      if (ctx.io.json) {
        ctx.io.outJson(s);
        return ExitCode.Ok;
      }
      const { renderDetectSummary } = await import('../../correlate/summary-text.js');
      for (const line of renderDetectSummary(s)) ctx.io.out(line);
      return ExitCode.Ok;
    });
  },
});
