/**
 * Rule compiler: Sigma rules (and irctl's built-in rules, which are Sigma rules with an `irctl:` block for family,
 * summary and stateful logic) from YAML text to {@link CompiledRule}s. Every problem becomes a {@link RuleError} with
 * file:line and what is wrong; a rule with an error is skipped, never evaluated partially. Pure (text in, rules out).
 */
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Node, type Pair } from 'yaml';
import { sha256Hex } from '../util/hash.js';
import type { CompiledRule, Pred, StatefulSpec } from './compiled.js';
import { compileCondition, parseCondition, requiredActions, type CondNode } from './condition.js';
import { fieldAlias, isEventField, leafStrings, multiTypeFieldGetter, type FieldGetter } from './fields.js';
import { dataTypeOf } from './logsource.js';
import { adapterByDataType, type FindingVerdict } from '../sources/index.js';
import type { DetectInput, RuleError, RuleMeta, Severity } from './types.js';
import { compileValues, keywordTest, parseWildcards } from './values.js';

/** Where a rule comes from. */
export interface CompileSource {
  /** Path shown in errors and RuleMeta.file. */
  file: string;
  /** `builtin` or `sigma:<file name>`. */
  source: string;
  /** Built-in rules must carry id, level, tags and an irctl block. */
  builtin?: boolean | undefined;
}

/** Result of compiling one file. */
export interface CompileResult {
  rules: CompiledRule[];
  errors: RuleError[];
}

const SEVERITIES: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** One level lower (informational stays informational). */
export function lowerSeverity(s: Severity): Severity {
  return SEVERITIES[Math.max(0, SEVERITIES.indexOf(s) - 1)] ?? 'informational';
}

/** Parse `5m`, `30s`, `2h`, `1d` to milliseconds. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+)\s*(ms|s|m|h|d)$/.exec(v.trim());
  if (!m) return undefined;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * mult;
}

/** ATT&CK / ATLAS techniques and tactics from Sigma tags (`attack.t1078.004`, `attack.persistence`, `atlas.aml.t0040`). */
export function techniquesFromTags(tags: readonly string[]): { techniques: string[]; tactics: string[] } {
  const techniques: string[] = [];
  const tactics: string[] = [];
  for (const raw of tags) {
    const t = raw.toLowerCase();
    let m = /^attack\.(t\d{4}(?:\.\d{3})?)$/.exec(t);
    if (m) {
      techniques.push((m[1] ?? '').toUpperCase());
      continue;
    }
    m = /^atlas\.(aml\.t\d{4}(?:\.\d{3})?)$/.exec(t);
    if (m) {
      techniques.push((m[1] ?? '').toUpperCase());
      continue;
    }
    m = /^(?:attack|atlas)\.([a-z][a-z-]+)$/.exec(t);
    if (m && !/^[gs]\d{4}$/.test(m[1] ?? '')) tactics.push((m[1] ?? '').replace(/_/g, '-'));
  }
  return { techniques: [...new Set(techniques)], tactics: [...new Set(tactics)] };
}

/**
 * The meta of a finding rule's hit: the rule's, with the severity the finding states and its techniques and tactics
 * added to the rule's own (one meta object per distinct verdict, so hits share them).
 */
function findingMetaOf(meta: RuleMeta, findingOf: (body: unknown) => FindingVerdict | undefined): (input: DetectInput) => RuleMeta | undefined {
  const memo = new Map<string, RuleMeta>();
  return (input) => {
    const v = findingOf(input.raw());
    if (!v) return undefined;
    const key = `${v.severity}|${v.tactics.join(',')}|${v.techniques.join(',')}|${v.name ?? ''}|${v.note ?? ''}`;
    let m = memo.get(key);
    if (!m) {
      m = {
        ...meta,
        title: `${meta.title}${v.name === undefined ? '' : `: ${v.name}`}${v.note === undefined ? '' : ` (${v.note})`}`,
        severity: v.severity,
        techniques: [...new Set([...meta.techniques, ...v.techniques])],
        tactics: [...new Set([...meta.tactics, ...v.tactics])],
      };
      if (memo.size < 5000) memo.set(key, m);
    }
    return m;
  };
}

/** A compiled selection; `raw` when it searches the whole raw record (keywords). */
type Sel = { pred: Pred; actions: Set<string> | null; raw?: boolean };

/** Compile all rules in one YAML file's text. */
export function compileRuleText(text: string, src: CompileSource): CompileResult {
  const lc = new LineCounter();
  const errors: RuleError[] = [];
  const err = (line: number | undefined, message: string, ruleId?: string, level: 'error' | 'warning' = 'error'): void => {
    errors.push({ file: src.file, line, ruleId, message, level });
  };
  const lineOf = (n: { range?: readonly number[] | null | undefined } | null | undefined): number | undefined => {
    const off = n?.range?.[0];
    return off === undefined ? undefined : lc.linePos(off).line;
  };
  const parsed = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: true });
  const docs = Array.isArray(parsed) ? parsed.filter((d) => d.contents !== null || d.errors.length > 0) : [];
  if (docs.length === 0) {
    err(1, 'file holds no YAML document');
    return { rules: [], errors };
  }
  let yamlBroken = false;
  for (const d of docs)
    for (const e of d.errors) {
      yamlBroken = true;
      err(e.linePos?.[0].line, `YAML: ${e.message.split('\n')[0] ?? e.message}`);
    }
  if (yamlBroken) return { rules: [], errors };
  if (docs.length > 1) {
    err(lineOf(docs[1]?.contents), 'multi-document rule files (Sigma "action: global"/"repeat", correlation rules) are not supported; put one rule per file');
    return { rules: [], errors };
  }
  const doc = docs[0];
  const root = doc?.contents;
  if (!isMap(root)) {
    err(lineOf(root) ?? 1, 'a rule must be a YAML map (title, logsource, detection, ...)');
    return { rules: [], errors };
  }
  const top = new Map<string, Pair>();
  for (const p of root.items) if (isScalar(p.key)) top.set(String(p.key.value), p);
  const val = (k: string): unknown => {
    const p = top.get(k);
    return p && p.value !== null && typeof p.value === 'object' && 'toJSON' in p.value ? (p.value as Node).toJSON() : undefined;
  };
  const lineKey = (k: string): number | undefined => lineOf(top.get(k)?.key as Node | undefined);

  const idRaw = val('id');
  const fileName = src.file.split(/[\\/]/).pop() ?? src.file;
  const ruleId = typeof idRaw === 'string' && idRaw.trim() ? idRaw.trim() : undefined;
  const shownId = ruleId ?? `${src.source}`;
  let failed = false;
  const fail = (line: number | undefined, message: string): void => {
    failed = true;
    err(line, message, shownId);
  };

  if (top.has('correlation')) fail(lineKey('correlation'), 'Sigma correlation rules (correlation:) are not supported; irctl stateful rules use an irctl: block (see docs/rules.md)');
  if (top.has('action')) fail(lineKey('action'), `'action: ${String(val('action'))}' (Sigma v1 collections) is not supported`);
  const title = val('title');
  if (typeof title !== 'string' || !title.trim()) fail(lineKey('title') ?? 1, 'rule has no title');
  if (!ruleId) {
    if (src.builtin) fail(lineKey('id') ?? 1, 'built-in rule has no id');
    else err(lineKey('title') ?? 1, `rule has no id; using '${src.source}'`, shownId, 'warning');
  }
  const levelRaw = val('level');
  let severity: Severity = 'medium';
  if (levelRaw === undefined) {
    if (src.builtin) fail(1, 'built-in rule has no level');
    else err(lineKey('title') ?? 1, "rule has no level; using 'medium'", shownId, 'warning');
  } else if (typeof levelRaw === 'string' && (SEVERITIES as readonly string[]).includes(levelRaw.toLowerCase())) {
    severity = levelRaw.toLowerCase() as Severity;
  } else fail(lineKey('level'), `level ${typeof levelRaw === 'string' ? `'${levelRaw}'` : JSON.stringify(levelRaw)} is not one of ${SEVERITIES.join(', ')}`);
  const tagsRaw = val('tags');
  const tags = Array.isArray(tagsRaw) ? tagsRaw.filter((t): t is string => typeof t === 'string') : [];
  if (tagsRaw !== undefined && !Array.isArray(tagsRaw)) fail(lineKey('tags'), 'tags must be a list');
  const status = val('status');
  if (status === 'deprecated' || status === 'unsupported')
    err(lineKey('status'), `rule status is '${String(status)}'; it is loaded but SigmaHQ no longer maintains it`, shownId, 'warning');

  const lsRaw = val('logsource');
  const ls = lsRaw !== null && typeof lsRaw === 'object' && !Array.isArray(lsRaw) ? (lsRaw as Record<string, unknown>) : undefined;
  const dt = dataTypeOf(ls);
  if ('error' in dt) fail(lineKey('logsource') ?? 1, dt.error);
  const dataType = 'dataType' in dt ? dt.dataType : 'unknown';
  // `irctl.logsources`: further log sources whose events the rule (a multi-source sequence) also sees.
  const dataTypes = 'dataTypes' in dt && dt.dataTypes ? [...dt.dataTypes] : [dataType];
  const irctlEarly = val('irctl');
  const extraLs = irctlEarly !== null && typeof irctlEarly === 'object' && !Array.isArray(irctlEarly) ? (irctlEarly as Record<string, unknown>).logsources : undefined;
  if (extraLs !== undefined) {
    if (!Array.isArray(extraLs) || extraLs.length === 0) fail(lineKey('irctl'), 'irctl.logsources must be a list of logsource maps ({product, service})');
    else
      for (const [i, x] of (extraLs as unknown[]).entries()) {
        const xdt = dataTypeOf(x !== null && typeof x === 'object' && !Array.isArray(x) ? x : undefined);
        if ('error' in xdt) fail(lineKey('irctl'), `irctl.logsources[${i}]: ${xdt.error}`);
        else if (!dataTypes.includes(xdt.dataType)) dataTypes.push(xdt.dataType);
      }
  }

  const getters = new Map<string, FieldGetter>();
  // Whether evaluating the rule can read the raw record (a field outside the normalized columns, or keywords).
  let readsRaw = false;
  const getter = (name: string): FieldGetter => {
    let g = getters.get(name);
    if (!g) {
      g = multiTypeFieldGetter(name, dataTypes);
      getters.set(name, g);
      if (dataTypes.some((d) => !isCheapField(name, d))) readsRaw = true;
    }
    return g;
  };

  // detection
  const detPair = top.get('detection');
  const det = detPair?.value;
  const selections = new Map<string, Pred>();
  const selActions = new Map<string, Set<string> | null>();
  let conditionNodes: Array<{ node: CondNode; line: number | undefined }> = [];
  let conditionSeen = false;
  if (!isMap(det)) {
    fail(lineKey('detection') ?? 1, 'rule has no detection map');
  } else {
    for (const p of det.items) {
      const key = isScalar(p.key) ? String(p.key.value) : '';
      const kline = lineOf(p.key as Node);
      if (key === 'condition') {
        conditionSeen = true;
        const conds = isSeq(p.value) ? p.value.items : [p.value];
        conditionNodes = [];
        for (const c of conds) {
          if (!isScalar(c) || typeof c.value !== 'string') {
            fail(lineOf(c as Node) ?? kline, 'condition must be a string (or a list of strings)');
            continue;
          }
          const pc = parseCondition(c.value);
          if (!pc.ok) fail(lineOf(c) ?? kline, `condition '${c.value}': ${pc.error}`);
          else conditionNodes.push({ node: pc.node, line: lineOf(c) ?? kline });
        }
        continue;
      }
      if (key === 'timeframe') {
        err(kline, "'timeframe' is only meaningful with aggregations, which are not supported; ignored", shownId, 'warning');
        continue;
      }
      if (!key) {
        fail(kline, 'selection name must be a string');
        continue;
      }
      const sel = compileSelection(p.value as Node | null, dataType, getter, (line, msg) => fail(line ?? kline, `selection '${key}': ${msg}`), lineOf);
      if (sel) {
        if (sel.raw === true) readsRaw = true;
        selections.set(key, sel.pred);
        selActions.set(key, sel.actions);
      } else {
        // Already reported; keep the name known so the condition reports only its own problems.
        selections.set(key, () => false);
        selActions.set(key, null);
      }
    }
  }

  // irctl block (built-in format; also allowed in user rules)
  const irctl = val('irctl');
  const irctlObj = irctl !== null && typeof irctl === 'object' && !Array.isArray(irctl) ? (irctl as Record<string, unknown>) : undefined;
  if (irctl !== undefined && !irctlObj) fail(lineKey('irctl'), 'irctl: must be a map');
  if (src.builtin && !irctlObj) fail(1, 'built-in rule has no irctl: block (family, summary)');
  const irctlLine = lineKey('irctl');
  let stateful: StatefulSpec | undefined;
  const extraActions: Array<Set<string> | null> = [];
  const condPred = (expr: unknown, what: string): Pred | undefined => {
    if (typeof expr !== 'string') {
      fail(irctlLine, `irctl.stateful.${what} must be a condition string`);
      return undefined;
    }
    const pc = parseCondition(expr);
    if (!pc.ok) {
      fail(irctlLine, `irctl.stateful.${what} '${expr}': ${pc.error}`);
      return undefined;
    }
    const cc = compileCondition(pc.node, selections);
    if (!cc.ok) {
      fail(irctlLine, `irctl.stateful.${what} '${expr}': ${cc.error}`);
      return undefined;
    }
    extraActions.push(requiredActions(pc.node, selActions));
    return cc.fn;
  };
  const st = irctlObj?.stateful;
  if (st !== undefined && !failed) stateful = compileStateful(st, getter, condPred, (m) => fail(irctlLine, m));

  const needsCondition = !(stateful && (stateful.type === 'sequence' || stateful.type === 'shared_value'));
  let match: Pred | undefined;
  let actions: Set<string> | null = null;
  if (conditionNodes.length === 0) {
    if (needsCondition && isMap(det) && !conditionSeen) fail(lineOf(det) ?? lineKey('detection'), 'detection has no condition');
  } else {
    const preds: Pred[] = [];
    const acts: Array<Set<string> | null> = [];
    for (const c of conditionNodes) {
      const cc = compileCondition(c.node, selections);
      if (!cc.ok) fail(c.line, cc.error);
      else {
        preds.push(cc.fn);
        acts.push(requiredActions(c.node, selActions));
      }
    }
    if (preds.length === 1) match = preds[0];
    else if (preds.length > 1) match = (i) => preds.some((f) => f(i));
    actions = acts.some((a) => a === null) ? null : new Set(acts.flatMap((a) => [...(a ?? [])]));
  }
  if (!needsCondition && stateful) {
    // Sequence / shared_value: the state machine sees events matching any step.
    const steps: Pred[] =
      stateful.type === 'sequence' ? stateful.steps.map((s) => s.pred) : stateful.type === 'shared_value' ? [stateful.left, stateful.right] : [];
    const base = match;
    match = base ? (i) => base(i) && steps.some((f) => f(i)) : (i) => steps.some((f) => f(i));
    const stepActs = extraActions;
    const union = stepActs.some((a) => a === null) ? null : new Set(stepActs.flatMap((a) => [...(a ?? [])]));
    actions = conditionNodes.length === 0 ? union : actions;
  }

  // The action index is per data type; a multi-source rule is offered every event of its data types.
  if (dataTypes.length > 1) actions = null;

  const attempts = irctlObj?.attempts;
  if (attempts !== undefined && typeof attempts !== 'boolean') fail(irctlLine, 'irctl.attempts must be true or false');
  if (attempts === true && stateful) fail(irctlLine, 'irctl.attempts applies to single-event rules (a stateful rule counts the events its condition selects)');
  const finding = irctlObj?.finding;
  if (finding !== undefined && typeof finding !== 'boolean') fail(irctlLine, 'irctl.finding must be true or false');
  const findingOf = finding === true ? adapterByDataType(dataType)?.finding : undefined;
  if (finding === true && stateful) fail(irctlLine, 'irctl.finding applies to single-event rules (each finding is one detection)');
  if (finding === true && !findingOf && 'dataType' in dt) fail(irctlLine, `irctl.finding: ${dataType} records are not findings of another product (their adapter states no severity)`);
  const family = typeof irctlObj?.family === 'string' ? irctlObj.family : undefined;
  const summary = typeof irctlObj?.summary === 'string' ? irctlObj.summary : undefined;
  if (src.builtin && !family) fail(irctlLine, 'built-in rule has no irctl.family');
  const { techniques, tactics } = techniquesFromTags(tags);
  // A finding rule's techniques come from each finding (irctl.finding).
  if (src.builtin && findingOf === undefined && (techniques.length === 0 || tactics.length === 0)) fail(lineKey('tags') ?? 1, 'built-in rule needs ATT&CK/ATLAS technique and tactic tags');
  const authorRaw = val('author');
  const descRaw = val('description');
  if (failed || !match) return { rules: [], errors };

  const meta: RuleMeta = {
    id: ruleId ?? src.source,
    title: String(title).trim(),
    author: typeof authorRaw === 'string' ? authorRaw.trim() : undefined,
    description: typeof descRaw === 'string' ? descRaw.trim() : undefined,
    severity,
    techniques,
    tactics,
    source: src.source,
    logsource: ls
      ? {
          ...(typeof ls.product === 'string' ? { product: ls.product } : {}),
          ...(typeof ls.service === 'string' ? { service: ls.service } : {}),
          ...(typeof ls.category === 'string' ? { category: ls.category } : {}),
        }
      : undefined,
    file: src.file,
    family,
    kind: stateful?.type ?? 'single',
    dataType,
    sha256: sha256Hex(text),
    ...(typeof status === 'string' ? { status } : {}),
  };
  void fileName;
  // A failed attempt is a signal too, one step less than success (issue 12): same rule id, so it groups and is
  // counted with the rule's successes, marked in the title so nobody reads it as done.
  const attemptMeta: RuleMeta | undefined = attempts === true ? { ...meta, title: `${meta.title} (attempt failed)`, severity: lowerSeverity(severity) } : undefined;
  const findingMeta = findingOf ? findingMetaOf(meta, findingOf) : undefined;
  return { rules: [{ meta, dataType, dataTypes, actions, match, stateful, summary, getter, readsRaw, attemptMeta, findingMeta }], errors };
}

const noRef = (): unknown[] => [];

/** Fields answered from the normalized event's columns, without parsing the raw record. */
function isCheapField(field: string, dataType: string): boolean {
  return isEventField(field) || fieldAlias(dataType, field) !== undefined;
}

/** Compile one search identifier (map = AND of fields, list of maps = OR, list of strings = keywords). */
function compileSelection(
  node: Node | null,
  dataType: string,
  getter: (name: string) => FieldGetter,
  fail: (line: number | undefined, msg: string) => void,
  lineOf: (n: Node | null | undefined) => number | undefined,
): Sel | undefined {
  if (node === null || node === undefined) {
    fail(undefined, 'is empty');
    return undefined;
  }
  if (isMap(node)) return compileMapSelection(node.items, dataType, getter, fail, lineOf);
  if (isSeq(node)) {
    const items = node.items as Node[];
    if (items.length === 0) {
      fail(lineOf(node), 'is an empty list');
      return undefined;
    }
    if (items.every((i) => isMap(i))) {
      const parts: Sel[] = [];
      for (const i of items) {
        if (!isMap(i)) continue;
        const s = compileMapSelection(i.items, dataType, getter, fail, lineOf);
        if (!s) return undefined;
        parts.push(s);
      }
      const preds = parts.map((p) => p.pred);
      const actions = parts.some((p) => p.actions === null) ? null : new Set(parts.flatMap((p) => [...(p.actions ?? [])]));
      return { pred: (i) => preds.some((f) => f(i)), actions, raw: parts.some((p) => p.raw === true) };
    }
    if (items.every((i) => isScalar(i) && (typeof i.value === 'string' || typeof i.value === 'number'))) {
      return keywordSelection(items.map((i) => String((i as { value: unknown }).value)));
    }
    fail(lineOf(node), 'a list must hold either maps (OR of field conditions) or strings (keywords), not a mix');
    return undefined;
  }
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return keywordSelection([String(node.value)]);
  fail(lineOf(node), 'must be a map of field conditions, a list of maps, or keywords');
  return undefined;
}

function keywordSelection(words: string[]): Sel {
  const tests = words.map(keywordTest);
  return {
    pred: (input: DetectInput) => {
      const leaves = leafStrings(input.raw());
      return tests.some((t) => leaves.some((s) => t(s)));
    },
    actions: null,
    raw: true,
  };
}

function compileMapSelection(
  pairs: ReadonlyArray<Pair>,
  dataType: string,
  getter: (name: string) => FieldGetter,
  fail: (line: number | undefined, msg: string) => void,
  lineOf: (n: Node | null | undefined) => number | undefined,
): Sel | undefined {
  if (pairs.length === 0) {
    fail(undefined, 'is an empty map');
    return undefined;
  }
  const tests: Array<{ cheap: boolean; pred: Pred }> = [];
  let actions = null as Set<string> | null;
  let ok = true;
  for (const p of pairs) {
    const keyText = isScalar(p.key) ? String(p.key.value) : '';
    const line = lineOf(p.key as Node);
    const [field = '', ...mods] = keyText.split('|');
    if (!field) {
      fail(line, `field name missing in '${keyText}' (keyword lists go under their own selection name)`);
      ok = false;
      continue;
    }
    const v = p.value as Node | null;
    let values: unknown[];
    if (v === null || (isScalar(v) && v.value === null)) values = [null];
    else if (isScalar(v)) values = [v.value];
    else if (isSeq(v)) {
      if ((v.items as Node[]).some((i) => !isScalar(i))) {
        fail(lineOf(v) ?? line, `'${keyText}': list values must be plain strings, numbers, booleans or null`);
        ok = false;
        continue;
      }
      values = (v.items as Array<{ value: unknown }>).map((i) => i.value);
    } else {
      fail(lineOf(v) ?? line, `'${keyText}': a field value must be a scalar or a list of scalars, not a map`);
      ok = false;
      continue;
    }
    const cv = compileValues(mods, values);
    if (!cv.ok) {
      fail(line, `'${keyText}': ${cv.error}`);
      ok = false;
      continue;
    }
    const get = getter(field);
    const test = cv.test;
    const ref = (input: DetectInput) => (name: string) => getter(name)(input);
    let pred: Pred;
    if (mods.includes('fieldref')) pred = (input) => test(get(input), ref(input));
    else if (cv.single !== undefined && get.single !== undefined) {
      // A single-valued field (normalized column, derived value): test the value directly.
      const one = cv.single;
      const value = get.single;
      const absent = test([], noRef);
      pred = (input) => {
        const x = value(input);
        return x === null || x === undefined ? absent : one(x);
      };
    } else pred = (input) => test(get(input), noRef);
    const cheap = isCheapField(field, dataType);
    tests.push({ cheap, pred });
    // Index: exact eventName / event.action values (no modifiers, no wildcards).
    const actionField = field === 'event.action' || fieldAlias(dataType, field)?.column === 'action';
    if (actionField && !mods.includes('all') && !mods.includes('cased')) {
      // Exact names, or `prefix*` entries for startswith / a trailing wildcard; anything else is not indexed.
      const keys: string[] = [];
      for (const x of values) {
        if (typeof x !== 'string') break;
        const toks = parseWildcards(x);
        const lits = toks.filter((t): t is { lit: string } => 'lit' in t);
        const litText = lits.map((t) => t.lit).join('').toLowerCase();
        if (mods.length === 0 && toks.every((t) => 'lit' in t)) keys.push(litText);
        else if (mods.length === 0 && toks.length === 2 && 'lit' in (toks[0] as object) && 'wild' in (toks[1] as object) && (toks[1] as { wild: string }).wild === '*') keys.push(`${litText}*`);
        else if (mods.length === 1 && mods[0] === 'startswith' && toks.every((t) => 'lit' in t)) keys.push(`${litText}*`);
        else break;
      }
      if (keys.length === values.length && (actions === null || keys.length < actions.size)) actions = new Set(keys);
    }
  }
  if (!ok) return undefined;
  // Columns first: most events are rejected before the raw record is parsed.
  tests.sort((a, b) => Number(b.cheap) - Number(a.cheap));
  const preds = tests.map((t) => t.pred);
  const [p0, p1, p2] = preds;
  const pred: Pred =
    preds.length === 1 && p0
      ? p0
      : preds.length === 2 && p0 && p1
        ? (input) => p0(input) && p1(input)
        : preds.length === 3 && p0 && p1 && p2
          ? (input) => p0(input) && p1(input) && p2(input)
          : (input) => {
              for (const f of preds) if (!f(input)) return false;
              return true;
            };
  return { pred, actions };
}

/** Compile the `irctl.stateful` block. */
function compileStateful(
  st: unknown,
  getter: (name: string) => FieldGetter,
  condPred: (expr: unknown, what: string) => Pred | undefined,
  fail: (msg: string) => void,
): StatefulSpec | undefined {
  if (st === null || typeof st !== 'object' || Array.isArray(st)) {
    fail('irctl.stateful must be a map');
    return undefined;
  }
  const o = st as Record<string, unknown>;
  const groupNames = Array.isArray(o.group_by) ? o.group_by.filter((g): g is string => typeof g === 'string') : [];
  if (o.group_by !== undefined && (!Array.isArray(o.group_by) || groupNames.length !== o.group_by.length)) {
    fail('irctl.stateful.group_by must be a list of field names');
    return undefined;
  }
  const groupBy = groupNames.map(getter);
  const windowMs = parseDuration(o.window);
  const needWindow = (): number | undefined => {
    if (windowMs === undefined) fail(`irctl.stateful.window '${String(o.window)}' must be a duration like 10m, 1h, 1d`);
    return windowMs;
  };
  const field = (k: string): { name: string; get: FieldGetter } | undefined => {
    const v = o[k];
    if (typeof v !== 'string' || !v) {
      fail(`irctl.stateful.${k} must be a field name`);
      return undefined;
    }
    return { name: v, get: getter(v) };
  };
  const fieldTuple = (k: string): { name: string; get: FieldGetter } | undefined => {
    const v = o[k];
    const names = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
    if (!Array.isArray(v) || names.length === 0 || names.length !== v.length) {
      fail(`irctl.stateful.${k} must be a field name or a list of field names`);
      return undefined;
    }
    const gets = names.map(getter);
    const one = (g: FieldGetter, input: DetectInput): unknown => (g.single ? g.single(input) : g(input).find((x) => x !== null && x !== undefined));
    const get: FieldGetter = (input) => {
      const parts: string[] = [];
      for (const g of gets) {
        const x = one(g, input);
        if (x === null || x === undefined) return [];
        parts.push(typeof x === 'string' ? x : JSON.stringify(x));
      }
      return [parts.join(' ')];
    };
    return { name: names.join(','), get };
  };
  switch (o.type) {
    case 'threshold': {
      const w = needWindow();
      const threshold = o.threshold;
      if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 2) {
        fail('irctl.stateful.threshold must be an integer >= 2');
        return undefined;
      }
      // `distinct` may list several fields: their values together are one value (a host and a port).
      const distinct = o.distinct === undefined ? undefined : Array.isArray(o.distinct) ? fieldTuple('distinct') : field('distinct');
      const sum = o.sum === undefined ? undefined : field('sum');
      if (distinct && sum) {
        fail('irctl.stateful: a threshold counts distinct values or sums a field, not both');
        return undefined;
      }
      if (w === undefined || (o.distinct !== undefined && !distinct) || (o.sum !== undefined && !sum)) return undefined;
      return { type: 'threshold', groupBy, groupNames, windowMs: w, threshold, distinct, sum };
    }
    case 'sequence': {
      const w = needWindow();
      if (!Array.isArray(o.steps) || o.steps.length < 2) {
        fail('irctl.stateful.steps must list at least two steps');
        return undefined;
      }
      const steps: Array<{ name: string; pred: Pred; min: number }> = [];
      for (const [i, s] of (o.steps as unknown[]).entries()) {
        const so = s !== null && typeof s === 'object' ? (s as Record<string, unknown>) : {};
        const pred = condPred(so.condition, `steps[${i}].condition`);
        const min = so.min === undefined ? 1 : so.min;
        if (typeof min !== 'number' || !Number.isInteger(min) || min < 1) {
          fail(`irctl.stateful.steps[${i}].min must be an integer >= 1`);
          return undefined;
        }
        if (!pred) return undefined;
        steps.push({ name: typeof so.condition === 'string' ? so.condition : `step${i}`, pred, min });
      }
      if (w === undefined) return undefined;
      return { type: 'sequence', groupBy, groupNames, windowMs: w, ordered: o.ordered !== false, steps };
    }
    case 'new_value': {
      const value = field('value');
      const b = o.baseline !== null && typeof o.baseline === 'object' ? (o.baseline as Record<string, unknown>) : {};
      const minEvents = b.min_events ?? 20;
      const minAgeMs = b.min_age === undefined ? 3_600_000 : parseDuration(b.min_age);
      if (typeof minEvents !== 'number' || !Number.isInteger(minEvents) || minEvents < 1) {
        fail('irctl.stateful.baseline.min_events must be an integer >= 1');
        return undefined;
      }
      if (minAgeMs === undefined) {
        fail(`irctl.stateful.baseline.min_age '${String(b.min_age)}' must be a duration`);
        return undefined;
      }
      if (!value) return undefined;
      if (groupBy.length === 0) {
        fail('irctl.stateful.group_by is required for new_value (whose baseline?)');
        return undefined;
      }
      return { type: 'new_value', groupBy, groupNames, value, minEvents, minAgeMs };
    }
    case 'spike': {
      const value = field('value');
      const b = o.baseline !== null && typeof o.baseline === 'object' ? (o.baseline as Record<string, unknown>) : {};
      const minEvents = b.min_events ?? 20;
      const minAgeMs = b.min_age === undefined ? 3_600_000 : parseDuration(b.min_age);
      const w = o.window === undefined ? 3_600_000 : needWindow();
      const factor = o.factor ?? 10;
      const minValue = o.min_value ?? 0;
      if (typeof factor !== 'number' || !(factor > 1)) {
        fail('irctl.stateful.factor must be a number > 1');
        return undefined;
      }
      if (typeof minValue !== 'number' || !(minValue >= 0)) {
        fail('irctl.stateful.min_value must be a number >= 0');
        return undefined;
      }
      if (typeof minEvents !== 'number' || !Number.isInteger(minEvents) || minEvents < 1) {
        fail('irctl.stateful.baseline.min_events must be an integer >= 1');
        return undefined;
      }
      if (minAgeMs === undefined) {
        fail(`irctl.stateful.baseline.min_age '${String(b.min_age)}' must be a duration`);
        return undefined;
      }
      if (!value || w === undefined) return undefined;
      if (groupBy.length === 0) {
        fail('irctl.stateful.group_by is required for spike (whose baseline?)');
        return undefined;
      }
      return { type: 'spike', groupBy, groupNames, value, factor, minValue, minEvents, minAgeMs, windowMs: w };
    }
    case 'shared_value': {
      const w = needWindow();
      const value = field('value');
      const left = condPred(o.left, 'left');
      const right = condPred(o.right, 'right');
      if (w === undefined || !value || !left || !right) return undefined;
      return { type: 'shared_value', groupBy, groupNames, value, left, right, windowMs: w };
    }
    case 'travel': {
      const w = needWindow();
      const latitude = field('latitude');
      const longitude = field('longitude');
      const num = (k: string, dflt: number): number | undefined => {
        const v = o[k] ?? dflt;
        if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
          fail(`irctl.stateful.${k} must be a positive number`);
          return undefined;
        }
        return v;
      };
      const maxSpeedKmh = num('max_speed_kmh', 900);
      const minDistanceKm = num('min_distance_km', 300);
      const fallback = o.fallback === undefined ? undefined : field('fallback');
      const fallbackWindowMs = o.fallback_window === undefined ? 3_600_000 : parseDuration(o.fallback_window);
      if (fallbackWindowMs === undefined) fail(`irctl.stateful.fallback_window '${String(o.fallback_window)}' must be a duration`);
      if (groupBy.length === 0) fail('irctl.stateful.group_by is required for travel (whose journeys?)');
      if (w === undefined || !latitude || !longitude || maxSpeedKmh === undefined || minDistanceKm === undefined || fallbackWindowMs === undefined) return undefined;
      if (groupBy.length === 0 || (o.fallback !== undefined && !fallback)) return undefined;
      return { type: 'travel', groupBy, groupNames, latitude, longitude, maxSpeedKmh, minDistanceKm, windowMs: w, fallback, fallbackWindowMs };
    }
    default:
      fail(`irctl.stateful.type '${String(o.type)}' is not one of threshold, sequence, new_value, shared_value, travel, spike`);
      return undefined;
  }
}
