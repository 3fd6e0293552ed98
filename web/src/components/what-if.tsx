'use client';
import { useState } from 'react';
import { useLazyPlanWhatIfQuery } from '@/lib/api/endpoints/farm';
import type { PlanQuery } from '@/lib/graphql/generated';
import { useFormat, useT, type T } from '@/lib/i18n';
import { keyOr } from '@/lib/i18n/messages';
import { emptyScenario, hoursMinutes, impactRows, scenarioVariables, type ScenarioForm, type ScenarioProblem } from '@/lib/planning';
import { Alert, Badge, Card, Field, Input } from './ui/basics';
import { Choice } from './ui/choice';
import { Button } from './ui/button';
import { ApiErrorView } from './errors';
import { RushOrderFields } from './rush-order';

type Plan = NonNullable<PlanQuery['plan']>;

const summary = (p: Plan) => ({
  objective: p.objective,
  lowerBound: p.lowerBound,
  scheduled: p.printers.reduce((n, r) => n + r.jobs.length, 0),
  late: p.printers.reduce((n, r) => n + r.jobs.filter((j) => j.late).length, 0),
  unscheduled: p.unscheduled.length,
  makespan: p.makespanMinutes,
});

/** "2 h 05 min" (or "—" for nothing). */
export const duration = (t: T, minutes: number | null) => {
  if (minutes === null) return '—';
  const { h, m, negative } = hoursMinutes(minutes);
  return `${negative ? '−' : ''}${t('whatIf.duration', { h, m: String(m).padStart(2, '0') })}`;
};

/**
 * What a re-plan would make of the farm now (`planWhatIf`), beside the current plan, without
 * committing anything: planners see whether re-planning is worth disturbing the floor, and what
 * a printer going down and/or a rush order would do to the orders' due dates (both at once if
 * asked).
 */
export function WhatIf({ current, printers, rush }: { current: Plan; printers: { id: string; name: string }[]; rush: boolean }) {
  const t = useT();
  const f = useFormat();
  const [ask, { data, error, isFetching }] = useLazyPlanWhatIfQuery();
  const [form, setForm] = useState<ScenarioForm>(emptyScenario);
  const [problem, setProblem] = useState<ScenarioProblem | null>(null);
  // What the shown answer was asked for (the form may have changed since).
  const [asked, setAsked] = useState<ScenarioForm | null>(null);
  const set = (patch: Partial<ScenarioForm>) => setForm({ ...form, ...patch });
  const run = () => {
    const r = scenarioVariables(form, new Date());
    if ('problem' in r) {
      setProblem(r.problem);
      return;
    }
    setProblem(null);
    setAsked(form);
    void ask(r.variables);
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
  const downName = asked?.down ? (names.get(asked.down) ?? asked.down) : '';
  const summaryKey = asked?.down && asked.model ? 'whatIf.impactBoth' : asked?.model ? 'whatIf.impactRush' : 'whatIf.impact';
  const impacted = impact ? impactRows(impact) : [];
  const others = impacted.filter((r) => !r.rush);
  const rushRow = impacted.find((r) => r.rush);
  return (
    <Card data-testid="what-if-card">
      <h2>{t('whatIf.title')}</h2>
      <p className="muted">{t('whatIf.intro')}</p>
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <div className="field">
          <span className="muted">{t('whatIf.printerDown')}</span>
          <Choice
            label={t('whatIf.printerDown')}
            value={form.down}
            onChange={(down) => set({ down })}
            items={[{ value: '', label: t('whatIf.noScenario') }, ...printers.map((p) => ({ value: p.id, label: p.name }))]}
          />
        </div>
        {form.down && (
          <>
            <Field label={t('whatIf.downFrom')} id="wi-from">
              <Input id="wi-from" type="datetime-local" value={form.from} onChange={(e) => set({ from: e.target.value })} />
            </Field>
            <Field label={t('whatIf.downHours')} id="wi-hours">
              <Input id="wi-hours" type="number" min={1} value={form.hours} onChange={(e) => set({ hours: e.target.value })} />
            </Field>
          </>
        )}
      </div>
      {rush && <RushOrderFields form={form} set={set} />}
      <div className="row">
        <Button disabled={isFetching} onClick={run} data-testid="what-if">
          {isFetching ? t('common.loading') : t('whatIf.run')}
        </Button>
      </div>
      {problem && <Alert>{t(keyOr('whatIf.problem', problem, 'whatIf.problem.due'))}</Alert>}
      <ApiErrorView error={error} />
      {next && !isFetching && (
        <div className="table-wrap">
          <table className="table" data-testid="what-if-table">
            <thead>
              <tr>
                <th />
                <th>{t('whatIf.current')}</th>
                <th>{impact ? t('whatIf.withScenario') : t('whatIf.replanned')}</th>
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
      {impact && data && !isFetching && (
        <div className="stack" data-testid="what-if-impact">
          <p data-testid="what-if-baseline">
            {t('whatIf.objective', {
              baseline: f.number(impact.baselineObjective, 1),
              with: f.number(data.planWhatIf.objective, 1),
              delta: `${data.planWhatIf.objective >= impact.baselineObjective ? '+' : '−'}${f.number(Math.abs(data.planWhatIf.objective - impact.baselineObjective), 1)}`,
            })}
          </p>
          {rushRow && (
            <p data-testid="what-if-rush" data-late={rushRow.order.lateMinutesAfter > 0}>
              {rushRow.order.finishAfter
                ? rushRow.order.lateMinutesAfter > 0
                  ? t('whatIf.rushLate', { at: f.dateTime(rushRow.order.finishAfter), late: duration(t, rushRow.order.lateMinutesAfter) })
                  : t('whatIf.rushOnTime', { at: f.dateTime(rushRow.order.finishAfter) })
                : t('whatIf.rushNotPlaced')}
              {rushRow.order.unplacedAfter > 0 && rushRow.order.finishAfter && ` ${t('whatIf.rushUnplaced', { n: rushRow.order.unplacedAfter })}`}
            </p>
          )}
          <p data-testid="what-if-summary">{t(summaryKey, { printer: downName, late: impact.newlyLate, orders: others.length })}</p>
          {others.length > 0 && (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>{t('whatIf.order')}</th>
                    <th className="hide-sm">{t('whatIf.due')}</th>
                    <th className="hide-sm">{t('whatIf.finishBefore')}</th>
                    <th>{t('whatIf.finishAfter')}</th>
                    <th>{t('whatIf.laterBy')}</th>
                    <th>{t('whatIf.addedLate')}</th>
                  </tr>
                </thead>
                <tbody>
                  {others.map((r) => (
                    <tr key={r.order.orderId} data-testid="what-if-order" data-newly-late={r.newlyLate}>
                      <td>
                        #{r.order.orderId} {r.newlyLate && <Badge tone="danger">{t('whatIf.newlyLate')}</Badge>}
                      </td>
                      <td className="hide-sm">{f.dateTime(r.order.dueAt)}</td>
                      <td className="hide-sm">{f.dateTime(r.order.finishBefore)}</td>
                      <td>{r.order.finishAfter ? f.dateTime(r.order.finishAfter) : t('whatIf.unplaced', { n: r.order.unplacedAfter })}</td>
                      <td>
                        {duration(t, r.laterByMinutes)}
                        {r.lostJobs > 0 && <div className="muted">{t('whatIf.lostJobs', { n: r.lostJobs })}</div>}
                      </td>
                      <td title={t('whatIf.lateMinutes', { before: r.order.lateMinutesBefore, after: r.order.lateMinutesAfter })}>{duration(t, r.addedLateMinutes)}</td>
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
