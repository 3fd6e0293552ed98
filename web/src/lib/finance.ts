import type * as G from '@/lib/graphql/generated';

export type PnlMonth = G.FinanceOverviewQuery['profitAndLoss'][number];

/** The currencies a report mentions, in order of first appearance. */
export const currenciesOf = (rows: { currency: string }[]): string[] => [...new Set(rows.map((r) => r.currency))];

/** Totals of the P&L months of one currency. */
export function pnlTotals(months: PnlMonth[], currency: string) {
  const rows = months.filter((m) => m.currency === currency);
  const sum = (k: keyof Omit<PnlMonth, 'period' | 'currency'>) => rows.reduce((a, m) => a + m[k], 0);
  return {
    revenue: sum('revenue'),
    cost: sum('costOfGoods') + sum('materials') + sum('machine') + sum('scrap') + sum('other'),
    profit: sum('profit'),
  };
}

/** A margin in basis points as a percentage with one decimal ("12.5 %"); null stays a dash. */
export const bpText = (bp: number | null | undefined): string => (bp == null ? '—' : `${(bp / 100).toFixed(1)} %`);

/** Major units typed by a person ("12,50") as minor units; null when blank or not a number. */
export function toMinor(v: string): number | null {
  const t = v.trim().replace(',', '.');
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? Math.round(n * 100) : null;
}
