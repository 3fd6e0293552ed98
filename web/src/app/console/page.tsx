'use client';
import Link from 'next/link';
import { useState } from 'react';
import { Page } from '@/components/shell';
import { useOverviewQuery } from '@/lib/api/endpoints/farm';
import { useFormat, useT } from '@/lib/i18n';
import { Badge, Card, Stat } from '@/components/ui/basics';
import { ApiErrorView } from '@/components/errors';
import { PRINTER_STATUSES, PrinterStatusBadge } from '@/components/status';

function Overview() {
  const t = useT();
  const f = useFormat();
  const { data, error, isLoading } = useOverviewQuery();
  const [now] = useState(() => Date.now());
  if (error) return <ApiErrorView error={error} />;
  if (isLoading || !data) return <p className="muted">{t('common.loading')}</p>;
  const late = data.queue.filter((j) => j.dueAt && Date.parse(j.dueAt) < now).length;
  const lateNow = data.printing.nodes.filter((j) => j.dueAt && Date.parse(j.dueAt) < now).length;
  const busy = data.printers.filter((p) => p.status === 'PRINTING' || p.status === 'PAUSED').length;
  const usable = data.printers.filter((p) => p.status !== 'OFFLINE' && p.status !== 'MAINTENANCE').length;
  const utilisation = usable ? Math.round((busy / usable) * 100) : 0;
  return (
    <div className="stack">
      <div className="grid-stats">
        <Stat label={t('overview.printing')} value={data.printing.nodes.length} testId="stat-printing" />
        <Stat label={t('overview.queued')} value={data.queue.length} testId="stat-queued" />
        <Stat label={t('overview.late')} value={late + lateNow} testId="stat-late" />
        <Stat label={t('overview.utilisation')} value={`${utilisation} %`} />
        <Stat label={t('overview.doneToday')} value={data.throughput[data.throughput.length - 1]?.done ?? 0} testId="stat-done-today" />
        <Stat label={t('overview.orders')} value={data.stats.orders} />
        <Stat label={t('overview.printers')} value={data.stats.printers} />
      </div>
      <Card>
        <h2>{t('overview.byStatus')}</h2>
        <div className="row">
          {PRINTER_STATUSES.map((s) => {
            const n = data.printers.filter((p) => p.status === s).length;
            return n ? (
              <span key={s} className="row" style={{ gap: 4 }}>
                <PrinterStatusBadge status={s} /> <strong>{n}</strong>
              </span>
            ) : null;
          })}
        </div>
        <p>
          <Link href="/console/printers/">{t('overview.toPrinters')}</Link>
        </p>
      </Card>
      <Card>
        <h2>{t('overview.materialAlerts')}</h2>
        {data.lowStock.length === 0 ? (
          <p className="muted">{t('overview.noAlerts')}</p>
        ) : (
          <ul>
            {data.lowStock.map((m) => (
              <li key={m.materialId}>
                <Badge tone="warn">{m.code}</Badge>{' '}
                {t('overview.lowStockLine', { available: f.number(m.available), threshold: f.number(m.lowStockGrams) })}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Throughput days={data.throughput} />
    </div>
  );
}

/** Jobs done (and failed) per day over the last week, as bars. */
function Throughput({ days }: { days: { day: string; done: number; failed: number }[] }) {
  const t = useT();
  const top = Math.max(1, ...days.map((d) => d.done + d.failed));
  return (
    <Card>
      <h2>{t('overview.throughput')}</h2>
      <ol className="bars" data-testid="throughput">
        {days.map((d) => (
          <li key={d.day} title={t('overview.throughputDay', { day: d.day, done: d.done, failed: d.failed })}>
            <span className="bars-track" aria-hidden>
              <span className="bars-failed" style={{ height: `${(d.failed / top) * 100}%` }} />
              <span className="bars-done" style={{ height: `${(d.done / top) * 100}%` }} />
            </span>
            <span className="bars-label">{d.day.slice(5)}</span>
            <span className="sr-only">{t('overview.throughputDay', { day: d.day, done: d.done, failed: d.failed })}</span>
          </li>
        ))}
      </ol>
    </Card>
  );
}

export default function OverviewPage() {
  const t = useT();
  return (
    <Page perm="equipment:read" area="console" pack="staff">
      <h1>{t('nav.overview')}</h1>
      <Overview />
    </Page>
  );
}
