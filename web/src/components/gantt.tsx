'use client';
import { memo, useEffect, useMemo, useState } from 'react';
import type { PlanFieldsFragment } from '@/lib/graphql/generated';
import type { T } from '@/lib/i18n';
import { LABEL_WIDTH, ROW_HEIGHT, colourOf, ticks, timeWindow, visibleRows, xOf, type Window, type Zoom } from '@/lib/gantt';
import { useFormat, useT } from '@/lib/i18n';

/** Rows per printer, jobs as bars (setup hatched, late in red), a now-line; rows virtualised. */
export function Gantt({ plan, names, zoom }: { plan: PlanFieldsFragment; names: Map<string, string>; zoom: Zoom }) {
  const t = useT();
  const f = useFormat();
  const [range, setRange] = useState<[number, number]>(() => visibleRows(0, 520, plan.printers.length));
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 60_000);
    return () => window.clearInterval(id);
  }, []);
  const rows = plan.printers;
  const w = useMemo(() => timeWindow(now, rows.flatMap((r) => r.jobs.map((j) => Date.parse(j.end))), zoom), [now, rows, zoom]);
  const width = LABEL_WIDTH + xOf(w.end, w, zoom);
  const height = rows.length * ROW_HEIGHT;
  const [first, last] = range;
  const x = (iso: string | number) => LABEL_WIDTH + xOf(typeof iso === 'number' ? iso : Date.parse(iso), w, zoom);
  return (
    <div
      className="gantt"
      style={{ maxHeight: 520 }}
      tabIndex={0}
      role="region"
      aria-label={t('schedule.chart')}
      onScroll={(e) => {
        // Re-render only when other rows come into view (sideways scrolling needs none).
        const next = visibleRows(e.currentTarget.scrollTop, e.currentTarget.clientHeight, rows.length);
        if (next[0] !== first || next[1] !== last) setRange(next);
      }}
      data-testid="gantt"
    >
      <svg width={width} height={height + 24} role="img" aria-label={t('schedule.chart')}>
        <defs>
          <pattern id="setup" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="3" height="6" fill="var(--c-muted)" opacity="0.5" />
          </pattern>
        </defs>
        {ticks(w, zoom).map((tk) => (
          <g key={tk}>
            <line x1={x(tk)} x2={x(tk)} y1={0} y2={height + 24} stroke="var(--c-border)" />
            <text x={x(tk) + 3} y={height + 16} fontSize="11" fill="var(--c-muted)">
              {zoom === 'day' ? new Date(tk).getHours().toString().padStart(2, '0') + ':00' : f.date(new Date(tk).toISOString())}
            </text>
          </g>
        ))}
        {rows.slice(first, last).map((r, k) => (
          <Row key={r.printerId} row={r} index={first + k} name={names.get(r.printerId) ?? r.printerId} w={w} zoom={zoom} width={width} t={t} f={f.dateTime} />
        ))}
        <line x1={x(now)} x2={x(now)} y1={0} y2={height} stroke="var(--c-danger)" strokeWidth={2} data-testid="now-line" />
      </svg>
    </div>
  );
}

type Row = PlanFieldsFragment['printers'][number];

/** One printer's row; memoised so scrolling re-renders only rows that enter the view. */
const Row = memo(function Row({
  row: r,
  index: i,
  name,
  w,
  zoom,
  width,
  t,
  f,
}: {
  row: Row;
  index: number;
  name: string;
  w: Window;
  zoom: Zoom;
  width: number;
  t: T;
  f: (iso: string) => string;
}) {
  const x = (iso: string | number) => LABEL_WIDTH + xOf(typeof iso === 'number' ? iso : Date.parse(iso), w, zoom);
  const y = i * ROW_HEIGHT;
  return (
    <g data-testid="gantt-row" data-printer={name}>
      <rect x={0} y={y} width={width} height={ROW_HEIGHT} fill={i % 2 ? 'var(--c-surface-2)' : 'transparent'} opacity={0.5} />
      <text x={6} y={y + 22} fontSize="12" fill="var(--c-text)">
        {name}
      </text>
      {r.jobs.map((j) => {
        const s = Date.parse(j.start);
        const setupStart = s - j.setupMinutes * 60_000;
        return (
          <g key={j.jobId} data-testid="gantt-job" data-job={j.jobId} data-order={j.orderId}>
            <title>
              {t('schedule.jobTip', { job: j.jobId, order: j.orderId, start: f(j.start), end: f(j.end) })}
              {j.late ? ` — ${t('schedule.late')}` : ''}
            </title>
            {j.setupMinutes > 0 && (
              <rect x={x(setupStart)} y={y + 6} width={Math.max(1, x(s) - x(setupStart))} height={ROW_HEIGHT - 12} fill="url(#setup)" />
            )}
            <rect
              x={x(s)}
              y={y + 6}
              width={Math.max(2, x(j.end) - x(s))}
              height={ROW_HEIGHT - 12}
              rx={3}
              fill={colourOf(j.orderId)}
              stroke={j.late ? 'var(--c-danger)' : 'none'}
              strokeWidth={j.late ? 2 : 0}
            />
            {j.dueAt && j.late && <line x1={x(j.dueAt)} x2={x(j.dueAt)} y1={y + 2} y2={y + ROW_HEIGHT - 2} stroke="var(--c-danger)" strokeDasharray="3 2" />}
          </g>
        );
      })}
    </g>
  );
});
