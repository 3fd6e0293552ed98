'use client';
import { useLazyPlanWhatIfQuery } from '@/lib/api/endpoints/farm';
import type { PlanQuery } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Card } from './ui/basics';
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
export function WhatIf({ current }: { current: Plan }) {
  const t = useT();
  const f = useFormat();
  const [ask, { data, error, isFetching }] = useLazyPlanWhatIfQuery();
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
      <div className="row">
        <Button disabled={isFetching} onClick={() => void ask({ timeLimitSeconds: 2 })} data-testid="what-if">
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
    </Card>
  );
}
