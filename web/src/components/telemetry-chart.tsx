'use client';
import { useState } from 'react';
import { usePrinterHistoryQuery } from '@/lib/api/endpoints/equipment';
import { polyline } from '@/lib/gantt';
import { useFormat, useT } from '@/lib/i18n';
import { Card } from './ui/basics';
import { Segmented } from './ui/segmented';

const W = 560;
const H = 120;

/** Nozzle and bed temperatures (actual solid, target dashed) over the last hours. */
export function TelemetryChart({ printerId }: { printerId: string }) {
  const t = useT();
  const f = useFormat();
  const [hours, setHours] = useState<'1' | '6' | '24'>('6');
  const [since] = useState(() => Date.now());
  const from = since - Number(hours) * 3_600_000;
  const { data } = usePrinterHistoryQuery({ id: printerId, since: new Date(from).toISOString() });
  const points = data?.printer.telemetryHistory ?? [];
  const series = [
    { key: 'nozzleC', target: 'nozzleTargetC', colour: 'var(--c-danger)', label: t('printers.nozzle') },
    { key: 'bedC', target: 'bedTargetC', colour: 'var(--c-accent)', label: t('printers.bed') },
  ] as const;
  const values = points.flatMap((p) => [p.nozzleC, p.nozzleTargetC, p.bedC, p.bedTargetC].filter((v): v is number => v != null));
  const hi = Math.max(50, ...values) * 1.05;
  const span: [number, number] = [from, since];
  return (
    <Card data-testid="telemetry-chart">
      <div className="row spread">
        <h2>{t('printers.history')}</h2>
        <Segmented
          label={t('printers.historySpan')}
          value={hours}
          onChange={setHours}
          items={(['1', '6', '24'] as const).map((h) => ({ value: h, label: t('printers.lastHours', { n: h }) }))}
        />
      </div>
      {points.length === 0 ? (
        <p className="muted">{t('printers.noHistory')}</p>
      ) : (
        <figure style={{ margin: 0 }}>
          <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={t('printers.historyLabel', { from: f.dateTime(new Date(from).toISOString()) })}>
            <line x1={0} x2={W} y1={H} y2={H} stroke="var(--c-border)" />
            {series.map((s) => (
              <g key={s.key}>
                <polyline
                  fill="none"
                  stroke={s.colour}
                  strokeWidth={2}
                  points={polyline(points.map((p) => ({ t: Date.parse(p.at), v: p[s.key] })), span, [0, hi], W, H)}
                />
                <polyline
                  fill="none"
                  stroke={s.colour}
                  strokeDasharray="4 3"
                  opacity={0.6}
                  points={polyline(points.map((p) => ({ t: Date.parse(p.at), v: p[s.target] })), span, [0, hi], W, H)}
                />
              </g>
            ))}
          </svg>
          <figcaption className="legend">
            {series.map((s) => (
              <span key={s.key}>
                <span className="swatch" style={{ background: s.colour }} aria-hidden="true" />
                {s.label}
              </span>
            ))}
            <span className="muted">{t('printers.maxTemp', { c: f.number(hi / 1.05, 0) })}</span>
          </figcaption>
        </figure>
      )}
    </Card>
  );
}
