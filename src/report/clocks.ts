/**
 * Regulatory clocks as REMINDERS (not legal advice): deadlines computed from the moment the operator recorded that
 * the organisation became aware of the incident (`incident.aware_at` in context.yaml). Whether a regime applies, and
 * when its clock really starts (e.g. the SEC's materiality determination), is for counsel to decide. Pure.
 */

/** One deadline. */
export interface RegulatoryClock {
  /** Stable id, e.g. `gdpr-33`. */
  id: string;
  /** Regime, e.g. `GDPR`. */
  regime: string;
  /** What is due, in one line. */
  obligation: string;
  /** Legal basis and how the deadline was computed. */
  basis: string;
  /** Deadline, UTC ISO 8601. */
  due: string;
  /** Hours from `asOf` to the deadline (negative: passed). */
  hours_left: number;
  /** `passed` when the deadline is before `asOf`, else `open`. */
  status: 'open' | 'passed';
}

const HOUR = 3_600_000;

/** Add calendar months in UTC, clamping the day (31 Jan + 1 month = 28/29 Feb). */
export function addMonthsUtc(d: Date, months: number): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
}

/** Add business days (Monday to Friday, UTC calendar; public holidays are not known here). */
export function addBusinessDaysUtc(d: Date, days: number): Date {
  const out = new Date(d.getTime());
  let left = days;
  while (left > 0) {
    out.setUTCDate(out.getUTCDate() + 1);
    const wd = out.getUTCDay();
    if (wd !== 0 && wd !== 6) left--;
  }
  return out;
}

/** The reminders for an awareness time, with hours left as of `asOf`. */
export function regulatoryClocks(awareAt: string, asOf: string): RegulatoryClock[] {
  const aware = new Date(awareAt);
  const now = new Date(asOf).getTime();
  const at = (ms: number): Date => new Date(aware.getTime() + ms);
  const nis2Notification = at(72 * HOUR);
  const items: Array<Omit<RegulatoryClock, 'hours_left' | 'status' | 'due'> & { due: Date }> = [
    {
      id: 'nis2-23-4-a',
      regime: 'NIS2',
      obligation: 'early warning to the CSIRT / competent authority (significant incident)',
      basis: 'Directive (EU) 2022/2555 Art. 23(4)(a): within 24 hours of becoming aware',
      due: at(24 * HOUR),
    },
    {
      id: 'gdpr-33',
      regime: 'GDPR',
      obligation: 'notify the supervisory authority of a personal data breach',
      basis: 'Regulation (EU) 2016/679 Art. 33(1): without undue delay and, where feasible, not later than 72 hours after becoming aware',
      due: at(72 * HOUR),
    },
    {
      id: 'nis2-23-4-b',
      regime: 'NIS2',
      obligation: 'incident notification (updates the early warning, initial assessment, indicators of compromise)',
      basis: 'Directive (EU) 2022/2555 Art. 23(4)(b): within 72 hours of becoming aware',
      due: nis2Notification,
    },
    {
      id: 'sec-8k-1-05',
      regime: 'SEC Form 8-K',
      obligation: 'Item 1.05 disclosure of a material cybersecurity incident (US registrants)',
      basis:
        'Form 8-K Item 1.05: within four business days after the registrant determines the incident is material; computed here from awareness as the earliest possible determination (weekends skipped, US federal holidays not)',
      due: addBusinessDaysUtc(aware, 4),
    },
    {
      id: 'nis2-23-4-d',
      regime: 'NIS2',
      obligation: 'final report',
      basis: 'Directive (EU) 2022/2555 Art. 23(4)(d): not later than one month after the incident notification; computed from the latest notification time (awareness + 72 h)',
      due: addMonthsUtc(nis2Notification, 1),
    },
    {
      id: 'hipaa-164-404',
      regime: 'HIPAA',
      obligation: 'notify affected individuals of a breach of unsecured protected health information',
      basis: '45 CFR 164.404(b): without unreasonable delay and in no case later than 60 calendar days after discovery',
      due: at(60 * 24 * HOUR),
    },
  ];
  return items
    .map((c) => {
      const hours = (c.due.getTime() - now) / HOUR;
      return { ...c, due: c.due.toISOString(), hours_left: Math.round(hours * 10) / 10, status: hours < 0 ? ('passed' as const) : ('open' as const) };
    })
    .sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : a.id < b.id ? -1 : 1));
}

/** "in 2 d 5 h" / "passed 3 h ago". */
export function describeHoursLeft(hours: number): string {
  const abs = Math.abs(hours);
  const d = Math.floor(abs / 24);
  const h = Math.floor(abs - d * 24);
  const span = d > 0 ? `${d} d ${h} h` : `${h} h ${Math.round((abs - Math.floor(abs)) * 60)} min`;
  return hours < 0 ? `passed ${span} ago` : `in ${span}`;
}

/** The disclaimer printed above the clocks in every report. */
export const CLOCKS_DISCLAIMER =
  'Reminders, not legal advice: computed from the awareness time recorded by the operator. Whether each regime applies, and when its clock starts, is for counsel to decide.';
