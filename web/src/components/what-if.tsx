'use client';
import { useState } from 'react';
import { useLazyPlanWhatIfQuery } from '@/lib/api/endpoints/farm';
import type { PlanQuery } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Card, Field, Input } from './ui/basics';
import { Choice } from './ui/choice';
import { Button } from './ui/button';
import { ApiErrorView } from './errors';

type Plan = NonNullable<PlanQuery['plan']>;

const summary = (p: Plan) => ({
  objective: p.objective,
  lowerBound: p.lowerBound,
  scheduled: p.printers.reduce((n, r) => n + r.jobs.length, 0),
  late: p.printers.reduce((n, r) => n + r.jobs.filter((j) => j.late).length, 0),
  unscheduled: p.unscheduled.length,
  makespan: p.makespanMinutes,
});

/**
 * What a re-plan would make of the farm now (`planWhatIf`), beside the current plan, without
 * committing anything: planners see whether re-planning is worth disturbing the floor.
 */
export function WhatIf({ current, printers }: { current: Plan; printers: { id: string; name: string }[] }) {
  const t = useT();
  const f = useFormat();
  const [ask, { data, error, isFetching }] = useLazyPlanWhatIfQuery();
  // Scenario: a printer down for some hours from a time (none: a plain re-plan).
  const [down, setDown] = useState('');
  const [from, setFrom] = useState('');
  const [hours, setHours] = useState('8');
  const run = () => {
    const start = from ? new Date(from) : new Date();
    const printerDown = down ? { printerId: down, from: start.toISOString(), until: new Date(start.getTime() + (Number(hours) || 1) * 3_600_000).toISOString() } : undefined;
    void ask({ timeLimitSeconds: 2, printerDown });
  };
  const impact = data?.planWhatIf.impact;
  const names = new Map(printers.map((p) => [p.id, p.name]));
  const now = summary(current);
  const next = data ? summary(data.planWhatIf) : null;
  const rows: [string, keyof ReturnType<typeof summary>][] = [
    [t('schedule.objective'), 'objective'],
    [t('schedule.lowerBound'), 'lowerBound'],
    [t('schedule.scheduled'), 'scheduled'],
    [t('schedule.late'), 'late'],
    [t('schedule.unscheduled'), 'unscheduled'],
    [t('whatIf.makespan'), 'makespan'],
  ];
  return (
    <Card>
      <h2>{t('whatIf.title')}</h2>
      <p className="muted">{t('whatIf.intro')}</p>
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <div className="field">
          <span className="muted">{t('whatIf.printerDown')}</span>
          <Choice
            label={t('whatIf.printerDown')}
            value={down}
            onChange={setDown}
            items={[{ value: '', label: t('whatIf.noScenario') }, ...printers.map((p) => ({ value: p.id, label: p.name }))]}
          />
        </div>
        {down && (
          <>
            <Field label={t('whatIf.downFrom')} id="wi-from">
              <Input id="wi-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
            </Field>
            <Field label={t('whatIf.downHours')} id="wi-hours">
              <Input id="wi-hours" type="number" min={1} value={hours} onChange={(e) => setHours(e.target.value)} />
            </Field>
          </>
        )}
        <Button disabled={isFetching} onClick={run} data-testid="what-if">
          {isFetching ? t('common.loading') : t('whatIf.run')}
        </Button>
      </div>
      <ApiErrorView error={error} />
      {next && (
        <div className="table-wrap">
          <table className="table" data-testid="what-if-table">
            <thead>
              <tr>
                <th />
                <th>{t('whatIf.current')}</th>
                <th>{t('whatIf.replanned')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(([label, k]) => (
                <tr key={k} data-testid={`what-if-${k}`}>
                  <th scope="row">{label}</th>
                  <td>{f.number(now[k], 1)}</td>
                  <td>{f.number(next[k], 1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {impact && (
        <div className="stack" data-testid="what-if-impact">
          <p>
            {t('whatIf.impact', { printer: names.get(down) ?? down, late: impact.newlyLate, orders: impact.orders.length })}
          </p>
          {impact.orders.length > 0 && (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>{t('whatIf.order')}</th>
                    <th>{t('whatIf.due')}</th>
                    <th>{t('whatIf.finishBefore')}</th>
                    <th>{t('whatIf.finishAfter')}</th>
                    <th>{t('whatIf.lateAfter')}</th>
                  </tr>
                </thead>
                <tbody>
                  {impact.orders.map((o, i) => (
                    <tr key={o.orderId ?? `rush-${i}`} data-testid="what-if-order">
                      <td>{o.orderId ? `#${o.orderId}` : t('whatIf.rushOrder')}</td>
                      <td>{o.dueAt ? f.dateTime(o.dueAt) : '—'}</td>
                      <td>{o.finishBefore ? f.dateTime(o.finishBefore) : '—'}</td>
                      <td>{o.finishAfter ? f.dateTime(o.finishAfter) : t('whatIf.unplaced', { n: o.unplacedAfter })}</td>
                      <td>{t('whatIf.lateMinutes', { before: o.lateMinutesBefore, after: o.lateMinutesAfter })}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </Card>
  );
}
