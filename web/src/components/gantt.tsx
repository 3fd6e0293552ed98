'use client';
import { memo, useEffect, useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { PlanFieldsFragment } from '@/lib/graphql/generated';
import type { T } from '@/lib/i18n';
import { LABEL_WIDTH, ROW_HEIGHT, colourOf, dropTarget, offShift, ticks, timeWindow, visibleRows, xOf, type Shift, type Window, type Zoom } from '@/lib/gantt';
import { useFormat, useT } from '@/lib/i18n';

type Row = PlanFieldsFragment['printers'][number];
type Job = Row['jobs'][number];
/** A shaded span of a printer's row (a maintenance window). */
export interface Blocked {
  startsAt: string;
  endsAt: string;
  reason: string;
}

interface Drag {
  job: Job;
  row: number;
  x0: number;
  y0: number;
  dx: number;
  dy: number;
}

/**
 * Rows per printer, jobs as bars coloured by setup class (setup hatched, late in red, pinned
 * ones marked), maintenance windows and off-shift hours shaded, a now-line; rows virtualised. A click (or Enter) on a bar selects it; a planner may drag a bar
 * to another printer or time (`onMove`, snapped to 5 minutes).
 */
export function Gantt({
  plan,
  names,
  zoom,
  blocked,
  shifts,
  selected,
  onSelect,
  onMove,
}: {
  plan: PlanFieldsFragment;
  names: Map<string, string>;
  zoom: Zoom;
  blocked?: Map<string, Blocked[]>;
  /** The farm's weekly operator shifts (none: always staffed, nothing shaded). */
  shifts?: Shift[];
  selected?: string | null;
  onSelect?: (jobId: string) => void;
  onMove?: (jobId: string, printerId: string, start: Date) => void;
}) {
  const t = useT();
  const f = useFormat();
  const [range, setRange] = useState<[number, number]>(() => visibleRows(0, 520, plan.printers.length));
  const [now, setNow] = useState(() => Date.now());
  const [drag, setDrag] = useState<Drag | null>(null);
  const svg = useRef<SVGSVGElement>(null);
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 60_000);
    return () => window.clearInterval(id);
  }, []);
  const rows = plan.printers;
  const w = useMemo(() => timeWindow(now, rows.flatMap((r) => r.jobs.map((j) => Date.parse(j.end))), zoom), [now, rows, zoom]);
  const width = LABEL_WIDTH + xOf(w.end, w, zoom);
  const off = useMemo(() => offShift(shifts ?? [], w), [shifts, w]);
  const height = rows.length * ROW_HEIGHT;
  const [first, last] = range;
  const x = (iso: string | number) => LABEL_WIDTH + xOf(typeof iso === 'number' ? iso : Date.parse(iso), w, zoom);
  const startDrag = onMove
    ? (job: Job, row: number, e: ReactPointerEvent) => {
        if (e.button !== 0) return;
        svg.current?.setPointerCapture(e.pointerId);
        setDrag({ job, row, x0: e.clientX, y0: e.clientY, dx: 0, dy: 0 });
      }
    : undefined;
  const drop = drag && dropTarget(drag.row, drag.dx, drag.dy, zoom, rows.length);
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
      <svg
        ref={svg}
        width={width}
        height={height + 24}
        role="group"
        aria-label={t('schedule.chart')}
        onPointerMove={drag ? (e) => setDrag({ ...drag, dx: e.clientX - drag.x0, dy: e.clientY - drag.y0 }) : undefined}
        onPointerUp={
          drag
            ? () => {
                setDrag(null);
                if (!drop) onSelect?.(drag.job.jobId);
                else onMove?.(drag.job.jobId, rows[drop.row].printerId, new Date(Date.parse(drag.job.start) + drop.minutes * 60_000));
              }
            : undefined
        }
        onPointerCancel={() => setDrag(null)}
      >
        <defs>
          <pattern id="setup" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="3" height="6" fill="var(--c-muted)" opacity="0.5" />
          </pattern>
          <pattern id="blocked" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">
            <rect width="8" height="8" fill="var(--c-warn-bg)" />
            <rect width="2" height="8" fill="var(--c-warn)" opacity="0.45" />
          </pattern>
        </defs>
        {off.map(([a, b]) => (
          <rect key={a} data-testid="gantt-off-shift" x={x(a)} y={0} width={Math.max(0, x(b) - x(a))} height={height} fill="var(--c-muted)" opacity={0.12}>
            <title>{t('schedule.offShift', { start: f.dateTime(new Date(a).toISOString()), end: f.dateTime(new Date(b).toISOString()) })}</title>
          </rect>
        ))}
        {ticks(w, zoom).map((tk) => (
          <g key={tk}>
            <line x1={x(tk)} x2={x(tk)} y1={0} y2={height + 24} stroke="var(--c-border)" />
            <text x={x(tk) + 3} y={height + 16} fontSize="11" fill="var(--c-muted)">
              {zoom === 'day' ? new Date(tk).getHours().toString().padStart(2, '0') + ':00' : f.date(new Date(tk).toISOString())}
            </text>
          </g>
        ))}
        {rows.slice(first, last).map((r, k) => (
          <RowView
            key={r.printerId}
            row={r}
            index={first + k}
            name={names.get(r.printerId) ?? r.printerId}
            blocked={blocked?.get(r.printerId)}
            w={w}
            zoom={zoom}
            width={width}
            t={t}
            f={f.dateTime}
            selected={selected ?? null}
            onSelect={onSelect}
            onDragStart={startDrag}
          />
        ))}
        {drag && drop && (
          <rect
            data-testid="drag-ghost"
            x={x(Date.parse(drag.job.start) + drop.minutes * 60_000)}
            y={drop.row * ROW_HEIGHT + 4}
            width={Math.max(2, x(drag.job.end) - x(drag.job.start))}
            height={ROW_HEIGHT - 8}
            rx={3}
            fill="none"
            stroke="var(--c-accent)"
            strokeWidth={2}
            strokeDasharray="4 3"
          />
        )}
        <line x1={x(now)} x2={x(now)} y1={0} y2={height} stroke="var(--c-danger)" strokeWidth={2} data-testid="now-line" />
      </svg>
    </div>
  );
}

/** One printer's row; memoised so scrolling re-renders only rows that enter the view. */
const RowView = memo(function RowView({
  row: r,
  index: i,
  name,
  blocked,
  w,
  zoom,
  width,
  t,
  f,
  selected,
  onSelect,
  onDragStart,
}: {
  row: Row;
  index: number;
  name: string;
  blocked: Blocked[] | undefined;
  w: Window;
  zoom: Zoom;
  width: number;
  t: T;
  f: (iso: string) => string;
  selected: string | null;
  onSelect?: (jobId: string) => void;
  onDragStart?: (job: Job, row: number, e: ReactPointerEvent) => void;
}) {
  const x = (iso: string | number) => LABEL_WIDTH + xOf(typeof iso === 'number' ? iso : Date.parse(iso), w, zoom);
  const clampX = (iso: string) => Math.min(width, Math.max(LABEL_WIDTH, x(iso)));
  const y = i * ROW_HEIGHT;
  return (
    <g data-testid="gantt-row" data-printer={name}>
      <rect x={0} y={y} width={width} height={ROW_HEIGHT} fill={i % 2 ? 'var(--c-surface-2)' : 'transparent'} opacity={0.5} />
      {blocked?.map((b) => (
        <rect
          key={b.startsAt}
          data-testid="gantt-blocked"
          x={clampX(b.startsAt)}
          y={y + 2}
          width={Math.max(0, clampX(b.endsAt) - clampX(b.startsAt))}
          height={ROW_HEIGHT - 4}
          fill="url(#blocked)"
        >
          <title>{t('schedule.maintenanceTip', { reason: b.reason || '—', start: f(b.startsAt), end: f(b.endsAt) })}</title>
        </rect>
      ))}
      <text x={6} y={y + 22} fontSize="12" fill="var(--c-text)">
        {name}
      </text>
      {r.jobs.map((j) => {
        const s = Date.parse(j.start);
        const setupStart = s - j.setupMinutes * 60_000;
        const isSelected = selected === j.jobId;
        return (
          <g
            key={j.jobId}
            data-testid="gantt-job"
            data-job={j.jobId}
            data-order={j.orderId}
            data-class={j.setupClass ?? undefined}
            data-pinned={j.pinned || undefined}
            tabIndex={onSelect ? 0 : undefined}
            role={onSelect ? 'button' : undefined}
            aria-pressed={onSelect ? isSelected : undefined}
            aria-label={
              t('schedule.jobTip', { job: j.jobId, order: j.orderId, start: f(j.start), end: f(j.end) }) + (j.pinned ? ` — ${t('schedule.pinned')}` : '')
            }
            style={{ cursor: onDragStart ? 'grab' : onSelect ? 'pointer' : undefined }}
            onPointerDown={onDragStart ? (e) => onDragStart(j, i, e) : undefined}
            onClick={onSelect && !onDragStart ? () => onSelect(j.jobId) : undefined}
            onKeyDown={onSelect ? (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onSelect(j.jobId)) : undefined}
          >
            <title>
              {t('schedule.jobTip', { job: j.jobId, order: j.orderId, start: f(j.start), end: f(j.end) })}
              {j.setupClass ? ` — ${j.setupClass}` : ''}
              {j.pinned ? ` — ${t('schedule.pinned')}` : ''}
              {j.late ? ` — ${t('schedule.late')}` : ''}
              {j.reason ? ` — ${j.reason.text}` : ''}
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
              fill={colourOf(j.setupClass ?? j.orderId)}
              stroke={isSelected ? 'var(--c-text)' : j.late ? 'var(--c-danger)' : 'none'}
              strokeWidth={isSelected || j.late ? 2 : 0}
            />
            {j.pinned && <circle cx={x(s) + 5} cy={y + 10} r={3} fill="var(--c-text)" stroke="var(--c-surface)" strokeWidth={1} />}
            {j.dueAt && j.late && <line x1={x(j.dueAt)} x2={x(j.dueAt)} y1={y + 2} y2={y + ROW_HEIGHT - 2} stroke="var(--c-danger)" strokeDasharray="3 2" />}
          </g>
        );
      })}
    </g>
  );
});
