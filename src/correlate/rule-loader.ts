/**
 * Adapter from the rule engine (src/detect/engine.ts: `loadRulePack`, `startRules`) to the detect stage's
 * {@link RuleLoader}: checks the rule folders exist, and hashes the pack for the custody log.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RuleMeta } from '../detect/types.js';
import { UsageError } from '../errors.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';
import type { LoadedRules, RuleLoader } from './run-detect.js';

/**
 * Hash identifying a rule pack: per rule its id, title, severity, source, file, techniques and the SHA-256 of the
 * rule file's text (so editing a rule changes the hash), sorted by id.
 */
export function rulePackHash(rules: readonly RuleMeta[]): string {
  const items = rules
    .map((m) => ({ id: m.id, title: m.title, severity: m.severity, source: m.source, file: m.file, techniques: m.techniques, sha256: m.sha256 }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sha256Hex(canonicalJson(items));
}

/** The production rule loader (imports the engine lazily: it pulls YAML parsing and the built-in pack). */
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
  const { loadRulePack, rawPrefetch, startRules } = await import('../detect/engine.js');
  const pack = loadRulePack({ builtin: opts.builtin, dirs: opts.dirs.map((d) => resolve(d)) });
  return {
    ruleCount: pack.rules.length,
    errors: pack.errors,
    hash: rulePackHash(pack.rules),
    start: () => startRules(pack),
    prefetch: rawPrefetch(pack),
  };
};
