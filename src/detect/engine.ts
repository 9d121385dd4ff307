/**
 * The rule engine: loads the built-in pack and any Sigma / irctl rule folders, and runs them over time-ordered events.
 * `loadRulePack` is the file-reading edge; compiling (sigma.ts) and evaluating (`runRules`) are pure.
 *
 * Speed: rules are indexed by data type and by the CloudTrail eventName they require (when their condition pins it),
 * so each event is tested only against the rules that can match it, columns of the normalized event are tested before
 * the raw record is parsed, and `raw()` is called only when a candidate rule reads a raw field.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';
import type { CompiledRule } from './compiled.js';
import { clean, renderSummary, HitBuilder } from './hits.js';
import { CATEGORY_PREFIX } from './logsource.js';
import { compileRuleText } from './sigma.js';
import { lower } from './values.js';
import { createEvaluator, type StatefulEvaluator } from './stateful.js';
import type { DetectInput, DetectionHit, RuleError, RuleMeta } from './types.js';

/** Options of {@link loadRulePack}. */
export interface LoadOptions {
  /** Load irctl's built-in pack. @default true */
  builtin?: boolean;
  /** Extra Sigma / irctl rule folders (searched recursively for .yml/.yaml) or files. */
  dirs?: string[];
}

/** A loaded rule pack: rule metadata, every load problem, and the compiled rules (internal). */
export interface RulePack {
  /** Rules that loaded (sorted by id). */
  rules: RuleMeta[];
  /** Problems found while loading, file:line; rules with an `error` were skipped. */
  errors: RuleError[];
  /** Compiled rules, same order as `rules`. Internal to the engine. */
  compiled: CompiledRule[];
}

/** Folder of the built-in rules: next to this module in src (tests) and in dist (copied by `npm run build`). */
export function builtinRulesDir(): string {
  return fileURLToPath(new URL('./rules/', import.meta.url));
}

/** Rule files under a folder (recursive, sorted), or the file itself. */
function ruleFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  const out: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(p);
    }
  };
  walk(path);
  return out;
}

/** Compile rule texts into a pack (pure; `loadRulePack` reads the files). Later duplicates of an id are rejected. */
export function buildPack(files: ReadonlyArray<{ file: string; text: string; builtin: boolean }>): RulePack {
  const errors: RuleError[] = [];
  const byId = new Map<string, CompiledRule>();
  for (const f of files) {
    const name = basename(f.file);
    const res = compileRuleText(f.text, { file: f.file, source: f.builtin ? 'builtin' : `sigma:${name}`, builtin: f.builtin });
    errors.push(...res.errors);
    for (const r of res.rules) {
      const prev = byId.get(r.meta.id);
      if (prev) {
        errors.push({ file: f.file, ruleId: r.meta.id, level: 'error', message: `duplicate rule id ${r.meta.id} (already loaded from ${prev.meta.file ?? '?'}); skipped` });
        continue;
      }
      byId.set(r.meta.id, r);
    }
  }
  const compiled = [...byId.values()].sort((a, b) => (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0));
  return { rules: compiled.map((c) => c.meta), errors, compiled };
}

/** Load the built-in pack and/or rule folders. Unreadable paths become errors; nothing throws for a bad rule. */
export function loadRulePack(opts: LoadOptions = {}): RulePack {
  const files: Array<{ file: string; text: string; builtin: boolean }> = [];
  const errors: RuleError[] = [];
  if (opts.builtin !== false) {
    const dir = builtinRulesDir();
    let list: string[];
    try {
      list = ruleFiles(dir);
    } catch (err) {
      throw new InternalError(`the built-in rule pack is missing at ${dir}`, { cause: err, hint: 'Rebuild irctl with `npm run build` (it copies src/detect/rules to dist/detect/rules).' });
    }
    for (const p of list) files.push({ file: `builtin:${relative(dir, p).split('\\').join('/')}`, text: readFileSync(p, 'utf8'), builtin: true });
  }
  for (const d of opts.dirs ?? []) {
    let list: string[];
    try {
      list = ruleFiles(d);
    } catch (err) {
      errors.push({ file: d, level: 'error', message: `cannot read rules path: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    if (list.length === 0) errors.push({ file: d, level: 'warning', message: 'no .yml/.yaml rule files found' });
    for (const p of list) {
      try {
        files.push({ file: p, text: readFileSync(p, 'utf8'), builtin: false });
      } catch (err) {
        errors.push({ file: p, level: 'error', message: `cannot read rule file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      }
    }
  }
  const pack = buildPack(files);
  pack.errors.unshift(...errors);
  return pack;
}

interface TypeIndex {
  byAction: Map<string, Array<{ rule: CompiledRule; slot: number }>>;
  /** Rules indexed by an action prefix (`startswith`), checked by prefix per event. */
  byPrefix: Array<{ prefix: string; entries: Array<{ rule: CompiledRule; slot: number }> }>;
  anyAction: Array<{ rule: CompiledRule; slot: number }>;
}

function firstPrefix(ti: TypeIndex, action: string, e: { rule: CompiledRule; slot: number }): TypeIndex['byPrefix'][number] | undefined {
  return ti.byPrefix.find((p) => action.startsWith(p.prefix) && p.entries.includes(e));
}

/** An incremental run of a rule pack: feed events in time order (ties by event id), then take the hits. */
export interface RuleRun {
  feed(input: DetectInput): void;
  /** Hits of the whole run, sorted by first time, rule id, first event id. Call once, after the last event. */
  finish(): DetectionHit[];
}

/**
 * Which events' raw records the pack is likely to read, for the store to read them with the events: per data type,
 * the actions (or `prefix*`) that rules reading raw fields are indexed on. Rules that read raw fields of any action
 * are left out (they test normalized columns first, so few events get that far; those are fetched on demand).
 */
export function rawPrefetch(pack: RulePack): Array<{ dataType: string; actions: string[] }> {
  const by = new Map<string, Set<string>>();
  for (const r of pack.compiled) {
    // A category rule (flows) reads the body of every record of its data types: fetch them with the events.
    if (r.readsRaw && r.actions === null && r.dataType.startsWith(CATEGORY_PREFIX)) {
      for (const dt of r.dataTypes) by.set(dt, new Set(['*']));
      continue;
    }
    if (!r.readsRaw || r.actions === null) continue;
    for (const dt of r.dataTypes) {
      if (by.get(dt)?.has('*') === true) continue;
      let set = by.get(dt);
      if (!set) by.set(dt, (set = new Set()));
      for (const a of r.actions) set.add(a);
    }
  }
  return [...by.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([dataType, set]) => ({ dataType, actions: [...set].sort() }));
}

/** Index one rule under one data type: by exact action, by action prefix, or for any action. */
function indexRule(index: Map<string, TypeIndex>, dataType: string, rule: CompiledRule, slot: number): void {
  let ti = index.get(dataType);
  if (!ti) {
    ti = { byAction: new Map(), byPrefix: [], anyAction: [] };
    index.set(dataType, ti);
  }
  const entry = { rule, slot };
  if (rule.actions === null) ti.anyAction.push(entry);
  else
    for (const a of rule.actions) {
      if (a.endsWith('*')) {
        const prefix = a.slice(0, -1);
        let p = ti.byPrefix.find((x) => x.prefix === prefix);
        if (!p) {
          p = { prefix, entries: [] };
          ti.byPrefix.push(p);
        }
        p.entries.push(entry);
        continue;
      }
      const arr = ti.byAction.get(a) ?? [];
      arr.push(entry);
      ti.byAction.set(a, arr);
    }
}

/** Start an incremental run of every rule of the pack. */
export function startRules(pack: RulePack): RuleRun {
  const index = new Map<string, TypeIndex>();
  const evaluators: Array<StatefulEvaluator | undefined> = [];
  pack.compiled.forEach((rule, slot) => {
    evaluators[slot] = rule.stateful ? createEvaluator(rule, rule.stateful) : undefined;
    // A category or multi-source rule is indexed under each data type it runs on, with one evaluator (one state) for all.
    for (const dt of rule.dataTypes) indexRule(index, dt, rule, slot);
  });
  const hits: DetectionHit[] = [];
  const evalOne = (entry: { rule: CompiledRule; slot: number }, input: DetectInput): void => {
    let matched: boolean;
    try {
      matched = entry.rule.match(input);
    } catch (err) {
      throw new InternalError(`rule ${entry.rule.meta.id} failed on event ${input.event.id}`, { cause: err });
    }
    if (!matched) return;
    const ev = evaluators[entry.slot];
    if (ev) {
      ev.feed(input);
      return;
    }
    const b = new HitBuilder(entry.rule);
    b.add(input.event);
    b.hit.summary = renderSummary(entry.rule, input);
    if (entry.rule.findingMeta) {
      const m = entry.rule.findingMeta(input);
      if (m) b.hit.rule = m;
    }
    if (entry.rule.attemptMeta && input.event.outcome === 'failure') {
      b.hit.rule = entry.rule.attemptMeta;
      b.hit.summary = clean(`${b.hit.summary} (attempt failed: ${input.event.error_code ?? 'error'})`, 400);
    }
    hits.push(b.hit);
  };
  let lastType: string | undefined;
  let ti: TypeIndex | undefined;
  return {
    feed(input) {
      const dt = input.event.data_type;
      if (dt !== lastType) {
        ti = index.get(dt);
        lastType = dt;
      }
      if (!ti) return;
      const action = lower(input.event.action);
      const byAction = ti.byAction.get(action);
      if (byAction) for (const e of byAction) evalOne(e, input);
      for (const p of ti.byPrefix) {
        if (!action.startsWith(p.prefix)) continue;
        // A rule listed under several prefixes of the same action is evaluated once.
        for (const e of p.entries) if (!byAction?.includes(e) && firstPrefix(ti, action, e) === p) evalOne(e, input);
      }
      for (const e of ti.anyAction) evalOne(e, input);
    },
    finish() {
      for (const ev of evaluators) if (ev) hits.push(...ev.hits());
      return hits.sort(
        (a, b) =>
          a.firstMs - b.firstMs ||
          (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0) ||
          ((a.eventIds[0] ?? '') < (b.eventIds[0] ?? '') ? -1 : (a.eventIds[0] ?? '') > (b.eventIds[0] ?? '') ? 1 : 0),
      );
    },
  };
}

/** Run every rule of the pack over events given in time order (ties by event id). */
export function runRules(inputs: Iterable<DetectInput>, pack: RulePack): DetectionHit[] {
  const run = startRules(pack);
  for (const input of inputs) run.feed(input);
  return run.finish();
}

/**
 * Rules whose condition holds for one event, ignoring any stateful logic (thresholds, sequences, baselines): what a
 * rule's per-event filter selects. Used to measure stateful rules on labelled single events and by tests.
 */
export function conditionMatches(input: DetectInput, pack: RulePack): RuleMeta[] {
  const out: RuleMeta[] = [];
  const action = input.event.action.toLowerCase();
  for (const rule of pack.compiled) {
    if (!rule.dataTypes.includes(input.event.data_type)) continue;
    if (rule.actions !== null && !rule.actions.has(action) && ![...rule.actions].some((a) => a.endsWith('*') && action.startsWith(a.slice(0, -1)))) continue;
    if (rule.match(input)) out.push(rule.meta);
  }
  return out;
}
