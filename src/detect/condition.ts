/**
 * Sigma `condition` expressions: `and`, `or`, `not`, parentheses, `1 of sel*`, `all of sel*`, `1 of them`,
 * `all of them` (also `any of`, and `N of`). Aggregations (`| count() ...`) and `near` are rejected. Pure.
 */

/** Parsed condition. */
export type CondNode =
  | { k: 'id'; name: string }
  | { k: 'and'; items: CondNode[] }
  | { k: 'or'; items: CondNode[] }
  | { k: 'not'; item: CondNode }
  | { k: 'of'; count: number | 'all'; pattern: string };

/** Result of parsing. */
export type CondParse = { ok: true; node: CondNode } | { ok: false; error: string };

type Tok = { t: 'word' | '(' | ')' | '|'; v: string; at: number };

function tokenize(s: string): Tok[] | string {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === '|') {
      out.push({ t: c, v: c, at: i });
      i++;
    } else {
      const m = /^[A-Za-z0-9_*.-]+/.exec(s.slice(i));
      if (!m) return `unexpected character '${c}' at position ${i + 1}`;
      out.push({ t: 'word', v: m[0], at: i });
      i += m[0].length;
    }
  }
  return out;
}

/** Parse a condition string. */
export function parseCondition(text: string): CondParse {
  const pipeAt = text.indexOf('|');
  if (pipeAt >= 0) {
    return {
      ok: false,
      error: `aggregation '${text.slice(pipeAt).trim()}' is not supported (Sigma v1 count()/near): write an irctl stateful rule instead (docs/rules.md)`,
    };
  }
  const toks = tokenize(text);
  if (typeof toks === 'string') return { ok: false, error: toks };
  let pos = 0;
  const peek = (): Tok | undefined => toks[pos];
  const kw = (t: Tok | undefined, w: string): boolean => t?.t === 'word' && t.v.toLowerCase() === w;
  const fail = (msg: string): never => {
    throw new SyntaxError(msg);
  };
  const parseOr = (): CondNode => {
    const items = [parseAnd()];
    while (kw(peek(), 'or')) {
      pos++;
      items.push(parseAnd());
    }
    return items.length === 1 ? (items[0] as CondNode) : { k: 'or', items };
  };
  const parseAnd = (): CondNode => {
    const items = [parseNot()];
    while (kw(peek(), 'and')) {
      pos++;
      items.push(parseNot());
    }
    return items.length === 1 ? (items[0] as CondNode) : { k: 'and', items };
  };
  const parseNot = (): CondNode => {
    if (kw(peek(), 'not')) {
      pos++;
      return { k: 'not', item: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): CondNode => {
    const t = peek();
    if (!t) return fail('condition ends too early');
    if (t.t === '(') {
      pos++;
      const n = parseOr();
      if (peek()?.t !== ')') fail(`missing ')' for '(' at position ${t.at + 1}`);
      pos++;
      return n;
    }
    if (t.t !== 'word') return fail(`unexpected '${t.v}' at position ${t.at + 1}`);
    const low = t.v.toLowerCase();
    if (['and', 'or'].includes(low)) return fail(`unexpected '${t.v}' at position ${t.at + 1}`);
    if (low === 'near') return fail("'near' is not supported");
    const next = toks[pos + 1];
    if (kw(next, 'of')) {
      let count: number | 'all';
      if (low === 'all') count = 'all';
      else if (low === 'any') count = 1;
      else if (/^\d+$/.test(low) && Number(low) >= 1) count = Number(low);
      else return fail(`'${t.v} of' is not valid: use '1 of', 'any of' or 'all of'`);
      const target = toks[pos + 2];
      if (target?.t !== 'word') return fail(`'${t.v} of' needs a selection pattern or 'them'`);
      pos += 3;
      return { k: 'of', count, pattern: target.v.toLowerCase() === 'them' ? 'them' : target.v };
    }
    if (t.v.includes('*')) return fail(`wildcard identifier '${t.v}' is only allowed after '1 of' / 'all of'`);
    pos++;
    return { k: 'id', name: t.v };
  };
  try {
    const node = parseOr();
    const rest = peek();
    if (rest) return { ok: false, error: `unexpected '${rest.v}' at position ${rest.at + 1}` };
    return { ok: true, node };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false, error: err.message };
    throw err;
  }
}

/** Selection names a pattern (`sel*`, `them`) refers to. `them` excludes names starting with `_` (Sigma spec). */
export function expandPattern(pattern: string, names: readonly string[]): string[] {
  if (pattern === 'them') return names.filter((n) => !n.startsWith('_'));
  if (!pattern.includes('*')) return names.filter((n) => n === pattern);
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return names.filter((n) => re.test(n));
}

/** Compile a parsed condition to a predicate over named selection predicates. Errors name unknown identifiers. */
export function compileCondition<C>(
  node: CondNode,
  selections: ReadonlyMap<string, (c: C) => boolean>,
): { ok: true; fn: (c: C) => boolean; used: Set<string> } | { ok: false; error: string } {
  const names = [...selections.keys()];
  const used = new Set<string>();
  const build = (n: CondNode): ((c: C) => boolean) => {
    switch (n.k) {
      case 'id': {
        const f = selections.get(n.name);
        if (!f) throw new SyntaxError(`condition names '${n.name}', which is not defined under detection`);
        used.add(n.name);
        return f;
      }
      case 'not': {
        const f = build(n.item);
        return (c) => !f(c);
      }
      case 'and': {
        const fs = n.items.map(build);
        // Two or three operands (almost every rule) get a closure without the array walk.
        const [f0, f1, f2] = fs;
        if (fs.length === 2 && f0 && f1) return (c) => f0(c) && f1(c);
        if (fs.length === 3 && f0 && f1 && f2) return (c) => f0(c) && f1(c) && f2(c);
        return (c) => fs.every((f) => f(c));
      }
      case 'or': {
        const fs = n.items.map(build);
        const [f0, f1, f2] = fs;
        if (fs.length === 2 && f0 && f1) return (c) => f0(c) || f1(c);
        if (fs.length === 3 && f0 && f1 && f2) return (c) => f0(c) || f1(c) || f2(c);
        return (c) => fs.some((f) => f(c));
      }
      case 'of': {
        const matched = expandPattern(n.pattern, names);
        if (matched.length === 0) throw new SyntaxError(`'${n.count === 'all' ? 'all' : n.count} of ${n.pattern}' matches no selection`);
        for (const m of matched) used.add(m);
        const fs = matched.map((m) => selections.get(m) as (c: C) => boolean);
        if (n.count === 'all') return (c) => fs.every((f) => f(c));
        const need = n.count;
        if (need === 1) return (c) => fs.some((f) => f(c));
        return (c) => {
          let k = 0;
          for (const f of fs) if (f(c) && ++k >= need) return true;
          return false;
        };
      }
    }
  };
  try {
    return { ok: true, fn: build(node), used };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false, error: err.message };
    throw err;
  }
}

/**
 * The set of (lower-cased) action names an event must have for the condition to possibly hold, or `null` when the
 * condition can hold for any action; an entry ending in `*` is a prefix. Used to index rules by CloudTrail eventName.
 */
export function requiredActions(node: CondNode, selectionActions: ReadonlyMap<string, Set<string> | null>): Set<string> | null {
  const names = [...selectionActions.keys()];
  const union = (sets: Array<Set<string> | null>): Set<string> | null => {
    if (sets.some((s) => s === null)) return null;
    const out = new Set<string>();
    for (const s of sets) for (const x of s ?? []) out.add(x);
    return out;
  };
  // For AND any one operand's set is a valid necessary filter: take the smallest (entries may be `prefix*`).
  const inter = (sets: Array<Set<string> | null>): Set<string> | null => {
    const known = sets.filter((s): s is Set<string> => s !== null);
    if (known.length === 0) return null;
    return known.reduce((a, b) => (b.size < a.size ? b : a));
  };
  switch (node.k) {
    case 'id':
      return selectionActions.get(node.name) ?? null;
    case 'not':
      return null;
    case 'and':
      return inter(node.items.map((i) => requiredActions(i, selectionActions)));
    case 'or':
      return union(node.items.map((i) => requiredActions(i, selectionActions)));
    case 'of': {
      const sets = expandPattern(node.pattern, names).map((n) => selectionActions.get(n) ?? null);
      return node.count === 'all' ? inter(sets) : union(sets);
    }
  }
}
