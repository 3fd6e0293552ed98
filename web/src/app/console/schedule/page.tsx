'use client';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { Page } from '@/components/shell';
import { usePlanQuery, usePlanWindowsQuery, useReplanNowMutation, useScheduleJobMutation } from '@/lib/api/endpoints/farm';
import type { Zoom } from '@/lib/gantt';
import { useFormat, useT } from '@/lib/i18n';
import { keyOr } from '@/lib/i18n/messages';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { Badge, Card, Stat } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Segmented } from '@/components/ui/segmented';
import { ApiErrorView } from '@/components/errors';
import { Gantt, type Blocked } from '@/components/gantt';
import { JobReason } from '@/components/job-reason';
import { MoveJob } from '@/components/move-job';
import { WhatIf } from '@/components/what-if';
import { ShiftsEditor } from '@/components/shifts-editor';
import { colourOf } from '@/lib/gantt';

function Schedule() {
  const t = useT();
  const f = useFormat();
  const s = useSession();
  const [zoom, setZoom] = useState<Zoom>('day');
  const { data, error, isFetching } = usePlanQuery({});
  const [replan, replanState] = useReplanNowMutation();
  const [move, moveState] = useScheduleJobMutation();
  const [selected, setSelected] = useState<string | null>(null);
  // Maintenance windows from a day ago to four weeks ahead (the window the chart can show).
  const [span] = useState(() => {
    const now = Date.now();
    return { from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 28 * 86_400_000).toISOString() };
  });
  const windows = usePlanWindowsQuery(span, { skip: !can(s, 'equipment:read') });
  const blocked = useMemo(() => {
    const m = new Map<string, Blocked[]>();
    for (const w of windows.data?.maintenanceWindows ?? []) {
      if (w.state !== 'PLANNED') continue;
      m.set(w.printerId, [...(m.get(w.printerId) ?? []), { startsAt: w.startsAt, endsAt: w.endsAt, reason: w.reason }]);
    }
    return m;
  }, [windows.data]);
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
  const classes = [...new Set(plan.printers.flatMap((r) => r.jobs.flatMap((j) => (j.setupClass ? [j.setupClass] : []))))].sort();
  const shifts = windows.data?.operatorShifts ?? [];
  const scheduled = plan.printers.reduce((n, r) => n + r.jobs.length, 0);
  return (
    <div className="stack">
      <div className="grid-stats">
        <Stat label={t('schedule.objective')} value={f.number(plan.objective, 1)} testId="plan-objective" />
        <Stat label={t('schedule.lowerBound')} value={f.number(plan.lowerBound, 1)} />
        <Stat label={t('schedule.gap')} value={`${f.number(plan.gap * 100, 1)} %`} />
        <Stat label={t('schedule.scheduled')} value={scheduled} testId="plan-scheduled" />
        <Stat label={t('schedule.late')} value={late} />
        {plan.stability && (
          <Stat
            label={t('schedule.stability')}
            value={<span title={t('schedule.stabilityHint')}>{t('schedule.stabilityValue', { frozen: plan.stability.frozen, moved: plan.stability.moved, changed: plan.stability.changed })}</span>}
            testId="plan-stability"
          />
        )}
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
      {plan.bounds && (
        <p className="muted" data-testid="plan-bounds">
          {t('schedule.bounds', {
            setup: f.number(plan.bounds.setupMinutes.bound, 0),
            tardiness: f.number(plan.bounds.weightedTardiness.bound, 0),
            makespan: f.number(plan.bounds.makespanMinutes.bound, 0),
          })}
        </p>
      )}
      <p className="muted">
        {can(s, 'production:plan') ? t('schedule.dragHint') : t('schedule.clickHint')} <Link href="/console/planning/">{t('schedule.toSettings')}</Link>
      </p>
      {classes.length > 0 && (
        <ul className="legend" aria-label={t('schedule.legend')} data-testid="class-legend">
          {classes.map((c) => (
            <li key={c}>
              <span className="swatch" style={{ background: colourOf(c) }} aria-hidden="true" />
              {c}
            </li>
          ))}
          {shifts.length > 0 && (
            <li>
              <span className="swatch swatch-off" aria-hidden="true" />
              {t('schedule.offShiftLegend')}
            </li>
          )}
        </ul>
      )}
      <Gantt
        plan={plan}
        names={names}
        zoom={zoom}
        blocked={blocked}
        shifts={shifts}
        selected={selected}
        onSelect={setSelected}
        onMove={
          can(s, 'production:plan')
            ? (id, printerId, start) => {
                setSelected(id);
                void move({ id, printerId, plannedStart: start.toISOString() });
              }
            : undefined
        }
      />
      <ApiErrorView error={moveState.error} />
      {selected && <JobReason plan={plan} jobId={selected} names={names} canPlan={can(s, 'production:plan')} onClose={() => setSelected(null)} />}
      {can(s, 'production:plan') && <MoveJob plan={plan} printers={data.printers} />}
      {can(s, 'production:plan') && <WhatIf current={plan} printers={data.printers} rush={can(s, 'orders:read_all') && can(s, 'inventory:read')} />}
      {can(s, 'production:plan') && windows.data && <ShiftsEditor key={JSON.stringify(windows.data.operatorShifts)} shifts={windows.data.operatorShifts} />}
      <Card>
        <h2>{t('schedule.unscheduled')}</h2>
        {plan.unscheduled.length === 0 ? (
          <p className="muted">{t('schedule.allPlaced')}</p>
        ) : (
          <ul data-testid="unscheduled">
            {plan.unscheduled.map((u) => (
              <li key={u.jobId}>
                <button type="button" className="link" onClick={() => setSelected(u.jobId)}>
                  #{u.jobId}
                </button>
                : {u.reason}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

export default function SchedulePage() {
  const t = useT();
  return (
    <Page perm="production:read" area="console" pack="staff">
      <h1>{t('nav.schedule')}</h1>
      <Schedule />
    </Page>
  );
}
