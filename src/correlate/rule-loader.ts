/**
 * Adapter from the rule engine (src/detect/engine.ts: `loadRulePack`, `runRules`) to the detect stage's
 * {@link RuleLoader}: checks the rule folders exist, and hashes the pack for the custody log.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DetectInput, DetectionHit, RuleError, RuleMeta } from '../detect/types.js';
import { InternalError, UsageError } from '../errors.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';
import type { LoadedRules, RuleLoader } from './run-detect.js';

/** The engine module's surface this adapter relies on (the contract in src/detect/types.ts). */
interface EngineModule {
  loadRulePack(opts?: { builtin?: boolean; dirs?: string[] }): { rules: unknown[]; errors: RuleError[] } | Promise<{ rules: unknown[]; errors: RuleError[] }>;
  runRules(inputs: Iterable<DetectInput>, pack: { rules: unknown[]; errors: RuleError[] }): DetectionHit[];
}

function isEngine(m: unknown): m is EngineModule {
  const o = m as Partial<Record<string, unknown>> | null;
  return o !== null && typeof o === 'object' && typeof o.loadRulePack === 'function' && typeof o.runRules === 'function';
}

/** Rule metadata of a loaded rule, whatever the engine's rule object looks like (`meta` or the rule itself). */
function metaOf(rule: unknown): Partial<RuleMeta> & { hash?: unknown } {
  const o = (rule ?? {}) as Record<string, unknown>;
  const meta = (typeof o.meta === 'object' && o.meta !== null ? o.meta : o) as Partial<RuleMeta>;
  return { ...meta, hash: o.hash ?? o.sha256 };
}

/** Hash identifying a rule pack: rule ids, titles, severities, files and any per-rule hash the engine provides. */
export function rulePackHash(rules: readonly unknown[]): string {
  const items = rules
    .map((r) => {
      const m = metaOf(r);
      return { id: m.id, title: m.title, severity: m.severity, source: m.source, file: m.file, techniques: m.techniques, hash: m.hash };
    })
    .sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
  return sha256Hex(canonicalJson(items));
}

/** Load the rule engine lazily (it pulls YAML parsing and the built-in pack). */
async function engine(): Promise<EngineModule> {
  // The specifier is a variable so this stage builds before the engine module exists; the shape is checked below.
  const spec = '../detect/engine.js';
  let mod: unknown;
  try {
    mod = await import(spec);
  } catch (err) {
    throw new InternalError('the rule engine (src/detect/engine) could not be loaded', { cause: err });
  }
  if (!isEngine(mod)) throw new InternalError('the rule engine module does not export loadRulePack and runRules');
  return mod;
}

/** The production rule loader. */
export const loadRules: RuleLoader = async (opts): Promise<LoadedRules> => {
  for (const d of opts.dirs) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) throw new UsageError(`rules folder ${d} does not exist or is not a folder`, { hint: 'Pass --rules DIR with a folder of Sigma YAML rules.' });
  }
  const e = await engine();
  const pack = await e.loadRulePack({ builtin: opts.builtin, dirs: opts.dirs.map((d) => resolve(d)) });
  return {
    ruleCount: pack.rules.length,
    errors: pack.errors,
    hash: rulePackHash(pack.rules),
    run: (inputs) => e.runRules(inputs, pack),
  };
};
