'use client';
import { useState } from 'react';
import * as E from '@/lib/api/endpoints/equipment';
import type { PrinterStatus } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { Alert, Badge, Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { Choice } from './ui/choice';
import { ApiErrorView } from './errors';
import { PRINTER_STATUSES, PrinterStatusBadge } from './status';
import { MaintenancePlans } from './maintenance-plans';
import { LoadMaterial } from './load-material';
import { PrinterEdit } from './printer-edit';
import { TelemetryChart } from './telemetry-chart';

/** One printer's settings: status by hand, maintenance windows, agent tokens. */
export function PrinterAdmin({ id }: { id: string }) {
  const t = useT();
  const f = useFormat();
  const s = useSession();
  const write = can(s, 'equipment:write');
  const tokensAllowed = can(s, 'production:plan') || can(s, 'users:admin');
  const { data, error } = E.usePrinterDetailQuery({ id });
  const tokens = E.usePrinterTokensQuery({ printerId: id }, { skip: !tokensAllowed });
  const [setStatus, st] = E.useSetPrinterStatusMutation();
  const [release, rl] = E.useReleasePrinterJobMutation();
  const operate = can(s, 'production:operate') || can(s, 'production:plan');
  const [schedule, sm] = E.useScheduleMaintenanceMutation();
  const [complete, cm] = E.useCompleteMaintenanceMutation();
  const [cancelWindow, cw] = E.useCancelMaintenanceWindowMutation();
  const [mint, mt] = E.useCreatePrinterTokenMutation();
  const [revoke, rv] = E.useRevokePrinterTokenMutation();
  const [status, setStatusChoice] = useState<PrinterStatus>('IDLE');
  const [startsAt, setStartsAt] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [reason, setReason] = useState('');
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  const p = data.printer;
  const mutationError = st.error ?? rl.error ?? sm.error ?? cm.error ?? cw.error ?? mt.error ?? rv.error;
  return (
    <div className="stack">
      <Card>
        <div className="row">
          <h2 style={{ margin: 0 }}>{p.name}</h2>
          <PrinterStatusBadge status={p.status} />
          {p.group && <Badge tone="info">{p.group}</Badge>}
        </div>
        {p.retiredAt && <Alert tone="info">{t('equipment.retiredAt', { at: f.dateTime(p.retiredAt) })}</Alert>}
        <dl className="kv" style={{ marginTop: 8 }}>
          <dt>{t('equipment.model')}</dt>
          <dd>
            {p.model} · {p.technology} · {p.buildVolume.xMm}×{p.buildVolume.yMm}×{p.buildVolume.zMm} mm
          </dd>
          <dt>{t('equipment.materials')}</dt>
          <dd>{p.materials.join(', ')}</dd>
          <dt>{t('equipment.speed')}</dt>
          <dd>{p.speedFactorPct} %</dd>
          <dt>{t('equipment.hourly')}</dt>
          <dd>{f.money(p.hourlyCost)}</dd>
          <dt>{t('printers.agent')}</dt>
          <dd>{p.agent ? `${p.agent.software} · ${p.agent.reportedState} · ${f.dateTime(p.agent.lastSeenAt)}` : t('printers.noAgent')}</dd>
        </dl>
        {write && (
          <div className="row" style={{ marginTop: 8 }}>
            <Choice
              label={t('equipment.setStatus')}
              value={status}
              onChange={setStatusChoice}
              items={PRINTER_STATUSES.map((x) => ({ value: x, label: t(`printerStatus.${x}`) }))}
            />
            <Button size="sm" onClick={() => setStatus({ id, status })} disabled={st.isLoading}>
              {t('equipment.setStatus')}
            </Button>
          </div>
        )}
        {write && (
          <div style={{ marginTop: 8 }}>
            <LoadMaterial printerId={id} kinds={p.materials} loaded={p.loadedMaterial?.id ?? null} />
          </div>
        )}
        {operate && (
          <div className="row" style={{ marginTop: 8 }}>
            <Button size="sm" onClick={() => release({ printerId: id })} disabled={rl.isLoading} data-testid="release-job">
              {t('equipment.releaseJob')}
            </Button>
            <span className="muted">{t('equipment.releaseJobHint')}</span>
          </div>
        )}
      </Card>
      <ApiErrorView error={mutationError} />
      <TelemetryChart printerId={id} />
      {write && <PrinterEdit key={`${p.id}-${p.retiredAt ?? ''}`} p={p} />}
      <Card>
        <h2>{t('equipment.maintenance')}</h2>
        <MaintenancePlans printerId={id} plans={data.maintenancePlans} write={write} />
        <h3>{t('maintenance.windows')}</h3>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t('equipment.window')}</th>
                <th>{t('equipment.reason')}</th>
                <th>{t('equipment.state')}</th>
                {write && <th />}
              </tr>
            </thead>
            <tbody>
              {data.maintenanceWindows.map((w) => (
                <tr key={w.id}>
                  <td>
                    {f.dateTime(w.startsAt)} – {f.dateTime(w.endsAt)}
                  </td>
                  <td>{w.reason || '—'}</td>
                  <td>{t(`windowState.${w.state}`)}</td>
                  {write && (
                    <td>
                      {w.state === 'PLANNED' && (
                        <div className="row">
                          <Button size="sm" onClick={() => complete({ windowId: w.id, note: '' })}>
                            {t('equipment.complete')}
                          </Button>
                          <Button size="sm" variant="danger" onClick={() => cancelWindow({ windowId: w.id })}>
                            {t('common.close')}
                          </Button>
                        </div>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {write && (
          <form
            className="row"
            style={{ alignItems: 'flex-end', marginTop: 8 }}
            onSubmit={(e) => {
              e.preventDefault();
              if (!startsAt) return;
              void schedule({ printerId: id, startsAt: new Date(startsAt).toISOString(), durationMinutes: Number(minutes) || 60, reason });
            }}
          >
            <Field label={t('equipment.startsAt')} id="mw-start">
              <Input id="mw-start" type="datetime-local" required value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />
            </Field>
            <Field label={t('equipment.minutes')} id="mw-minutes">
              <Input id="mw-minutes" type="number" min={1} value={minutes} onChange={(e) => setMinutes(e.target.value)} />
            </Field>
            <Field label={t('equipment.reason')} id="mw-reason">
              <Input id="mw-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            </Field>
            <Button type="submit" variant="primary">
              {t('equipment.schedule')}
            </Button>
          </form>
        )}
      </Card>
      {tokensAllowed && (
        <Card>
          <h2>{t('equipment.tokens')}</h2>
          {mt.data && (
            <Alert tone="info">
              {t('equipment.tokenOnce')} <code className="mono" data-testid="new-token">{mt.data.createPrinterToken.token}</code>
            </Alert>
          )}
          <ul>
            {(tokens.data?.printerTokens ?? []).map((k) => (
              <li key={k.id} className="row">
                <code className="mono">{k.prefix}…</code>
                <span className="muted">
                  {k.revokedAt ? t('equipment.revoked') : k.lastUsedAt ? t('equipment.lastUsed', { at: f.dateTime(k.lastUsedAt) }) : t('equipment.neverUsed')}
                </span>
                {!k.revokedAt && (
                  <Button size="sm" variant="danger" onClick={() => revoke({ id: k.id })}>
                    {t('equipment.revoke')}
                  </Button>
                )}
              </li>
            ))}
          </ul>
          <Button onClick={() => mint({ printerId: id })} disabled={mt.isLoading}>
            {t('equipment.mint')}
          </Button>
        </Card>
      )}
    </div>
  );
}
