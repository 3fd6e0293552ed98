'use client';
import type { PnlMonth } from '@/lib/finance';
import { useFormat, useT } from '@/lib/i18n';

const H = 160;
const BAR = 14;

/** Revenue against cost per month (bars) with the profit as a dot; one currency. */
export function PnlChart({ months, currency }: { months: PnlMonth[]; currency: string }) {
  const t = useT();
  const f = useFormat();
  const rows = months.filter((m) => m.currency === currency);
  if (rows.length === 0) return null;
  const cost = (m: PnlMonth) => m.costOfGoods + m.materials + m.machine + m.scrap + m.other;
  const top = Math.max(1, ...rows.map((m) => Math.max(m.revenue, cost(m), m.profit)));
  const bottom = Math.min(0, ...rows.map((m) => m.profit));
  const span = top - bottom;
  const y = (v: number) => ((top - v) / span) * H;
  const step = BAR * 2 + 18;
  const width = rows.length * step + 8;
  return (
    <figure className="chart" data-testid="pnl-chart">
      <svg
        role="img"
        aria-label={t('finance.chartLabel', { currency })}
        viewBox={`0 0 ${width} ${H + 22}`}
        width="100%"
        style={{ maxWidth: Math.max(width, 240) }}
        preserveAspectRatio="xMinYMin meet"
      >
        <line x1={0} x2={width} y1={y(0)} y2={y(0)} className="chart-axis" />
        {rows.map((m, i) => {
          const x = 8 + i * step;
          const label = `${m.period}: ${t('finance.revenue')} ${f.money({ minor: m.revenue, currency })}, ${t('finance.cost')} ${f.money({ minor: cost(m), currency })}, ${t('finance.profit')} ${f.money({ minor: m.profit, currency })}`;
          return (
            <g key={m.period}>
              <title>{label}</title>
              <rect x={x} y={y(m.revenue)} width={BAR} height={Math.max(0, y(0) - y(m.revenue))} className="chart-revenue" />
              <rect x={x + BAR} y={y(cost(m))} width={BAR} height={Math.max(0, y(0) - y(cost(m)))} className="chart-cost" />
              <circle cx={x + BAR} cy={y(m.profit)} r={3.5} className={m.profit < 0 ? 'chart-loss' : 'chart-profit'} />
              <text x={x + BAR} y={H + 16} textAnchor="middle" className="chart-label">
                {m.period.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="row muted">
        <span>
          <span className="swatch chart-revenue" aria-hidden /> {t('finance.revenue')}
        </span>
        <span>
          <span className="swatch chart-cost" aria-hidden /> {t('finance.cost')}
        </span>
        <span>
          <span className="swatch chart-profit" aria-hidden /> {t('finance.profit')}
        </span>
      </figcaption>
    </figure>
  );
}
