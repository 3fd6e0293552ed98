'use client';
import { useState } from 'react';
import { useScheduleJobMutation } from '@/lib/api/endpoints/farm';
import type { PlanFieldsFragment } from '@/lib/graphql/generated';
import { useT } from '@/lib/i18n';
import { Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { Choice } from './ui/choice';
import { ApiErrorView } from './errors';

/** Pins a job to a printer and start time (`scheduleJob`); the plan then refetches. */
export function MoveJob({ plan, printers }: { plan: PlanFieldsFragment; printers: { id: string; name: string }[] }) {
  const t = useT();
  const [move, { error, isLoading, data }] = useScheduleJobMutation();
  const jobs = [...plan.printers.flatMap((r) => r.jobs.map((j) => j.jobId)), ...plan.unscheduled.map((u) => u.jobId)].sort(
    (a, b) => Number(a) - Number(b),
  );
  const [job, setJob] = useState('');
  const [printer, setPrinter] = useState('');
  const [start, setStart] = useState('');
  const jobId = job || jobs[0] || '';
  const printerId = printer || printers[0]?.id || '';
  if (jobs.length === 0 || printers.length === 0) return null;
  return (
    <Card>
      <h2>{t('schedule.move')}</h2>
      <form
        className="row"
        style={{ alignItems: 'flex-end' }}
        onSubmit={(e) => {
          e.preventDefault();
          if (start) void move({ id: jobId, printerId, plannedStart: new Date(start).toISOString() });
        }}
      >
        <div className="field">
          <span className="muted">{t('jobs.job')}</span>
          <Choice label={t('jobs.job')} value={jobId} onChange={setJob} items={jobs.map((j) => ({ value: j, label: `#${j}` }))} />
        </div>
        <div className="field">
          <span className="muted">{t('jobs.printer')}</span>
          <Choice label={t('jobs.printer')} value={printerId} onChange={setPrinter} items={printers.map((p) => ({ value: p.id, label: p.name }))} />
        </div>
        <Field label={t('equipment.startsAt')} id="move-start">
          <Input id="move-start" type="datetime-local" required value={start} onChange={(e) => setStart(e.target.value)} />
        </Field>
        <Button type="submit" variant="primary" disabled={isLoading}>
          {t('schedule.moveSubmit')}
        </Button>
      </form>
      <ApiErrorView error={error} />
      {data && <p className="muted">{t('schedule.moved', { job: data.scheduleJob.id })}</p>}
    </Card>
  );
}
