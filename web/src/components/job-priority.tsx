'use client';
import { useState } from 'react';
import { useSetJobPriorityMutation } from '@/lib/api/endpoints/farm';
import { useT } from '@/lib/i18n';
import { Button } from './ui/button';
import { ApiErrorView } from './errors';

/** A waiting job's priority, editable by planners (`setJobPriority`; the scheduler re-plans). */
export function JobPriority({ id, priority }: { id: string; priority: number }) {
  const t = useT();
  const [value, setValue] = useState(String(priority));
  const [set, { isLoading, error }] = useSetJobPriorityMutation();
  const n = Number.parseInt(value, 10);
  const changed = Number.isFinite(n) && n !== priority;
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        if (changed) void set({ id, priority: n });
      }}
    >
      <input
        className="input"
        style={{ width: '6em' }}
        type="number"
        min={-1000}
        max={1000}
        aria-label={t('jobs.priorityOf', { job: id })}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        data-testid="job-priority"
      />
      <Button size="sm" type="submit" disabled={!changed || isLoading} data-testid="job-priority-set">
        {t('jobs.setPriority')}
      </Button>
      <ApiErrorView error={error} />
    </form>
  );
}
