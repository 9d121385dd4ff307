/**
 * Machine vs analyst agreement (`irctl stats`): for each threat, its latest machine verdict against its latest
 * analyst decision. Pure.
 */

/** One threat's latest verdicts (from store/investigate-repo.ts verdictPairs). */
export interface VerdictPair {
  threat_id: string;
  machine_verdict: string | null;
  engine: string | null;
  analyst_verdict: string | null;
  overrides: number;
  runs: number;
}

/** The statistics. */
export interface VerdictStats {
  /** Threats with at least one machine run. */
  investigated: number;
  /** Machine runs in total. */
  runs: number;
  /** Threats with an analyst decision. */
  decided: number;
  /** Analyst decisions in total. */
  overrides: number;
  /** Threats where the latest analyst decision equals the latest machine verdict. */
  agreed: number;
  /** Threats where they differ. */
  disagreed: number;
  /** agreed / (agreed + disagreed), null when nothing to compare. */
  agreement_rate: number | null;
  /** Per engine of the latest machine run. */
  by_engine: Array<{ engine: string; decided: number; agreed: number; rate: number | null }>;
  /** Machine verdict x analyst decision counts. */
  confusion: Array<{ machine: string; analyst: string; threats: number }>;
}

/** Compute agreement statistics. */
export function verdictStats(pairs: readonly VerdictPair[]): VerdictStats {
  const compared = pairs.filter((p) => p.machine_verdict !== null && p.analyst_verdict !== null);
  const agreed = compared.filter((p) => p.machine_verdict === p.analyst_verdict).length;
  const engines = new Map<string, { decided: number; agreed: number }>();
  const confusion = new Map<string, number>();
  for (const p of compared) {
    const e = engines.get(p.engine ?? 'unknown') ?? { decided: 0, agreed: 0 };
    e.decided++;
    if (p.machine_verdict === p.analyst_verdict) e.agreed++;
    engines.set(p.engine ?? 'unknown', e);
    const k = `${p.machine_verdict ?? ''}\u0000${p.analyst_verdict ?? ''}`;
    confusion.set(k, (confusion.get(k) ?? 0) + 1);
  }
  return {
    investigated: pairs.filter((p) => p.runs > 0).length,
    runs: pairs.reduce((n, p) => n + p.runs, 0),
    decided: pairs.filter((p) => p.analyst_verdict !== null).length,
    overrides: pairs.reduce((n, p) => n + p.overrides, 0),
    agreed,
    disagreed: compared.length - agreed,
    agreement_rate: compared.length === 0 ? null : Math.round((agreed / compared.length) * 1000) / 1000,
    by_engine: [...engines.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([engine, v]) => ({ engine, decided: v.decided, agreed: v.agreed, rate: v.decided === 0 ? null : Math.round((v.agreed / v.decided) * 1000) / 1000 })),
    confusion: [...confusion.entries()]
      .map(([k, threats]) => {
        const [machine = '', analyst = ''] = k.split('\u0000');
        return { machine, analyst, threats };
      })
      .sort((a, b) => b.threats - a.threats || a.machine.localeCompare(b.machine) || a.analyst.localeCompare(b.analyst)),
  };
}
