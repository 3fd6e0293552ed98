'use client';
import { useState } from 'react';
import { Page } from '@/components/shell';
import { usePlanQuery, useReplanNowMutation } from '@/lib/api/endpoints/farm';
import type { Zoom } from '@/lib/gantt';
import { useFormat, useT } from '@/lib/i18n';
import { keyOr } from '@/lib/i18n/messages';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { Badge, Card, Stat } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Segmented } from '@/components/ui/segmented';
import { ApiErrorView } from '@/components/errors';
import { Gantt } from '@/components/gantt';
import { MoveJob } from '@/components/move-job';
import { WhatIf } from '@/components/what-if';

function Schedule() {
  const t = useT();
  const f = useFormat();
  const s = useSession();
  const [zoom, setZoom] = useState<Zoom>('day');
  const { data, error, isFetching } = usePlanQuery({});
  const [replan, replanState] = useReplanNowMutation();
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  const plan = data.plan;
  const replanButton = can(s, 'production:plan') && (
    <Button variant="primary" disabled={replanState.isLoading || isFetching} onClick={() => replan({ timeLimitSeconds: 2 })} data-testid="replan">
      {t('schedule.replan')}
    </Button>
  );
  if (!plan) {
    return (
      <div className="stack">
        <p className="muted" data-testid="no-plan">
          {t('schedule.noPlan')}
        </p>
        <div className="row">{replanButton}</div>
        <ApiErrorView error={replanState.error} />
      </div>
    );
  }
  const names = new Map(data.printers.map((p) => [p.id, p.name]));
  const late = plan.printers.reduce((n, r) => n + r.jobs.filter((j) => j.late).length, 0);
  const scheduled = plan.printers.reduce((n, r) => n + r.jobs.length, 0);
  return (
    <div className="stack">
      <div className="grid-stats">
        <Stat label={t('schedule.objective')} value={f.number(plan.objective, 1)} testId="plan-objective" />
        <Stat label={t('schedule.lowerBound')} value={f.number(plan.lowerBound, 1)} />
        <Stat label={t('schedule.gap')} value={`${f.number(plan.gap * 100, 1)} %`} />
        <Stat label={t('schedule.scheduled')} value={scheduled} testId="plan-scheduled" />
        <Stat label={t('schedule.late')} value={late} />
      </div>
      <div className="row">
        <Badge tone={plan.status === 'optimal' ? 'ok' : plan.status === 'feasible' ? 'info' : 'warn'}>{t(keyOr('planStatus', plan.status, 'planStatus.unknown'))}</Badge>
        {plan.id && <span>{t('schedule.planId', { id: plan.id })}</span>}
        <span className="muted">{t('schedule.method', { method: plan.method, ms: plan.solveMs, at: f.dateTime(plan.computedAt) })}</span>
        <span className="spacer" />
        <Segmented
          label={t('schedule.zoom')}
          value={zoom}
          onChange={setZoom}
          items={[
            { value: 'day', label: t('schedule.day') },
            { value: 'week', label: t('schedule.week') },
          ]}
        />
        {replanButton}
      </div>
      <ApiErrorView error={replanState.error} />
      <Gantt plan={plan} names={names} zoom={zoom} />
      {can(s, 'production:plan') && <MoveJob plan={plan} printers={data.printers} />}
      {can(s, 'production:plan') && <WhatIf current={plan} />}
      <Card>
        <h2>{t('schedule.unscheduled')}</h2>
        {plan.unscheduled.length === 0 ? (
          <p className="muted">{t('schedule.allPlaced')}</p>
        ) : (
          <ul data-testid="unscheduled">
            {plan.unscheduled.map((u) => (
              <li key={u.jobId}>
                #{u.jobId}: {u.reason}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <p className="muted">{t('schedule.missing')}</p>
    </div>
  );
}

export default function SchedulePage() {
  const t = useT();
  return (
    <Page perm="production:read" area="console">
      <h1>{t('nav.schedule')}</h1>
      <Schedule />
    </Page>
  );
}
