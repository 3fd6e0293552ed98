'use client';
import { useMemo, useState } from 'react';
import { Page } from '@/components/shell';
import {
  useCancelPrintMutation,
  usePausePrintMutation,
  usePrintersQuery,
  useResumePrintMutation,
} from '@/lib/api/endpoints/farm';
import type { JobFieldsFragment, PrinterFieldsFragment, PrinterStatus } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { Badge, Card, Field, Input, ProgressBar } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Choice } from '@/components/ui/choice';
import { Modal } from '@/components/ui/modal';
import { ApiErrorView } from '@/components/errors';
import { PRINTER_STATUSES, PrinterStatusBadge } from '@/components/status';
import { Snapshot } from '@/components/snapshot';

/** What the printer itself reports: temperatures (actual / target), layer, time left, problems. */
function Readings({ r }: { r: NonNullable<PrinterFieldsFragment['telemetry']> }) {
  const t = useT();
  const f = useFormat();
  const temp = (now: number | null, target: number | null) =>
    now == null ? '—' : target ? `${f.number(now)} / ${f.number(target)} °C` : `${f.number(now)} °C`;
  return (
    <div className="stack" style={{ gap: 4, marginTop: 8 }} data-testid="printer-readings">
      <div className="row" style={{ gap: 12 }}>
        <span data-testid="nozzle-temp">
          {t('printers.nozzle')} {temp(r.nozzleC, r.nozzleTargetC)}
        </span>
        <span>
          {t('printers.bed')} {temp(r.bedC, r.bedTargetC)}
        </span>
      </div>
      {(r.layer != null || r.remainingSecs != null) && (
        <div className="muted">
          {r.layer != null && t('printers.layer', { layer: r.layer, total: r.totalLayers ?? '?' })}
          {r.layer != null && r.remainingSecs != null && ' · '}
          {r.remainingSecs != null && t('printers.left', { min: Math.ceil(r.remainingSecs / 60) })}
        </div>
      )}
      {r.filamentRunout && <Badge tone="danger">{t('printers.runout')}</Badge>}
      {r.printerError && (
        <Badge tone="danger" title={r.printerError}>
          {t('printers.printerError', { text: r.printerError.slice(0, 80) })}
        </Badge>
      )}
    </div>
  );
}

function Tile({ p, job }: { p: PrinterFieldsFragment; job: JobFieldsFragment | undefined }) {
  const t = useT();
  const f = useFormat();
  const s = useSession();
  const mayOperate = can(s, 'production:operate') || can(s, 'production:plan');
  const [pause, pauseState] = usePausePrintMutation();
  const [resume, resumeState] = useResumePrintMutation();
  const [cancel, cancelState] = useCancelPrintMutation();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const busy = pauseState.isLoading || resumeState.isLoading || cancelState.isLoading;
  const error = pauseState.error ?? resumeState.error ?? cancelState.error;
  return (
    <Card data-testid="printer-tile" data-printer={p.name} aria-label={p.name}>
      <div className="row">
        <h3 style={{ margin: 0 }}>{p.name}</h3>
        <span className="spacer" />
        <PrinterStatusBadge status={p.status} />
      </div>
      <div className="muted">
        {p.model} · {p.technology} · {p.nozzleUm / 1000} mm
        {p.group && (
          <>
            {' · '}
            <span data-testid="printer-group">{p.group}</span>
          </>
        )}
      </div>
      {job ? (
        <div className="stack" style={{ gap: 4, marginTop: 8 }}>
          <div>
            {t('printers.job', { id: job.id, order: job.orderId })}{' '}
            <span data-testid="printer-progress">{job.progressPct} %</span>
          </div>
          <ProgressBar value={job.progressPct} label={t('printers.progress', { name: p.name })} />
        </div>
      ) : (
        <p className="muted" style={{ margin: '8px 0' }}>
          {t('printers.noJob')}
        </p>
      )}
      {p.telemetry && <Readings r={p.telemetry} />}
      <dl className="kv" style={{ marginTop: 8 }}>
        <dt>{t('printers.material')}</dt>
        <dd>{p.loadedMaterial ? `${p.loadedMaterial.code} (${p.loadedMaterial.colour})` : '—'}</dd>
        <dt>{t('printers.agent')}</dt>
        <dd>{p.agent ? `${p.agent.reportedState} · ${f.dateTime(p.agent.lastSeenAt)}` : t('printers.noAgent')}</dd>
        <dt>{t('printers.hours')}</dt>
        <dd>{f.number(p.printMinutesTotal / 60, 1)}</dd>
      </dl>
      {p.status === 'MAINTENANCE' && <Badge tone="warn">{t('printers.maintenance')}</Badge>}
      {p.snapshotUrl && <Snapshot url={p.snapshotUrl} takenAt={p.snapshotTakenAt} name={p.name} />}
      {mayOperate && (p.status === 'PRINTING' || p.status === 'PAUSED') && (
        <div className="row" style={{ marginTop: 8 }}>
          {p.status === 'PRINTING' ? (
            <Button size="sm" disabled={busy} onClick={() => pause({ printerId: p.id })}>
              {t('printers.pause')}
            </Button>
          ) : (
            <Button size="sm" disabled={busy} onClick={() => resume({ printerId: p.id })}>
              {t('printers.resume')}
            </Button>
          )}
          <Button size="sm" variant="danger" disabled={busy} onClick={() => setAsking(true)}>
            {t('printers.cancel')}
          </Button>
        </div>
      )}
      {error ? <ApiErrorView error={error} /> : null}
      <Modal open={asking} onOpenChange={setAsking} title={t('printers.cancelTitle', { name: p.name })}>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            setAsking(false);
            void cancel({ printerId: p.id, reason: reason || t('printers.cancelDefault') });
          }}
        >
          <Field label={t('printers.cancelReason')} id={`reason-${p.id}`}>
            <Input id={`reason-${p.id}`} value={reason} onChange={(e) => setReason(e.target.value)} />
          </Field>
          <div className="row">
            <Button type="submit" variant="danger">
              {t('printers.cancelConfirm')}
            </Button>
            <Button onClick={() => setAsking(false)}>{t('common.close')}</Button>
          </div>
        </form>
      </Modal>
    </Card>
  );
}

function Grid() {
  const t = useT();
  const { data, error, isLoading } = usePrintersQuery();
  const [status, setStatus] = useState<'all' | PrinterStatus>('all');
  const [model, setModel] = useState('all');
  const [group, setGroup] = useState('all');
  const models = useMemo(() => [...new Set((data?.printers ?? []).map((p) => p.model))].sort(), [data]);
  const groups = useMemo(() => [...new Set((data?.printers ?? []).flatMap((p) => (p.group ? [p.group] : [])))].sort(), [data]);
  if (error) return <ApiErrorView error={error} />;
  if (isLoading || !data) return <p className="muted">{t('common.loading')}</p>;
  const jobs = new Map(data.printing.nodes.filter((j) => j.printerId).map((j) => [j.printerId!, j]));
  const shown = data.printers.filter(
    (p) =>
      (status === 'all' || p.status === status) &&
      (model === 'all' || p.model === model) &&
      (group === 'all' || (group === 'none' ? !p.group : p.group === group)),
  );
  return (
    <div className="stack">
      <div className="row">
        <Choice
          label={t('printers.filterStatus')}
          value={status}
          onChange={setStatus}
          items={[{ value: 'all', label: t('printers.allStatuses') }, ...PRINTER_STATUSES.map((s) => ({ value: s, label: t(`printerStatus.${s}`) }))]}
        />
        <Choice
          label={t('printers.filterModel')}
          value={model}
          onChange={setModel}
          items={[{ value: 'all', label: t('printers.allModels') }, ...models.map((m) => ({ value: m, label: m }))]}
        />
        {groups.length > 0 && (
          <Choice
            label={t('printers.filterGroup')}
            value={group}
            onChange={setGroup}
            items={[
              { value: 'all', label: t('printers.allGroups') },
              ...groups.map((g) => ({ value: g, label: g })),
              { value: 'none', label: t('printers.noGroup') },
            ]}
          />
        )}
        <span className="muted">{t('printers.count', { n: shown.length, total: data.printers.length })}</span>
      </div>
      <div className="grid">
        {shown.map((p) => (
          <Tile key={p.id} p={p} job={p.status === 'PRINTING' || p.status === 'PAUSED' ? jobs.get(p.id) : undefined} />
        ))}
      </div>
    </div>
  );
}

export default function PrintersPage() {
  const t = useT();
  return (
    <Page perm="equipment:read" area="console" pack="staff">
      <h1>{t('nav.printers')}</h1>
      <Grid />
    </Page>
  );
}
