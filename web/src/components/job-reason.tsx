'use client';
import type { PlanFieldsFragment } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { keyOr } from '@/lib/i18n/messages';
import { Badge, Card } from './ui/basics';
import { Button } from './ui/button';
import { ApiErrorView } from './errors';
import { useUnpinJobMutation } from '@/lib/api/endpoints/farm';

/** Why the solver put a job where it is (or why it is not placed), from the plan's own data. */
export function JobReason({
  plan,
  jobId,
  names,
  canPlan = false,
  onClose,
}: {
  plan: PlanFieldsFragment;
  jobId: string;
  names: Map<string, string>;
  /** The viewer may release a pin (`production:plan`). */
  canPlan?: boolean;
  onClose: () => void;
}) {
  const t = useT();
  const f = useFormat();
  const [unpin, unpinState] = useUnpinJobMutation();
  const row = plan.printers.find((r) => r.jobs.some((j) => j.jobId === jobId));
  const job = row?.jobs.find((j) => j.jobId === jobId);
  const unscheduled = plan.unscheduled.find((u) => u.jobId === jobId);
  return (
    <Card data-testid="job-reason" aria-live="polite">
      <div className="row spread">
        <h2>{t('schedule.whyTitle', { job: jobId })}</h2>
        <Button size="sm" onClick={onClose}>
          {t('common.close')}
        </Button>
      </div>
      {job && row ? (
        <>
          <p>
            {t('schedule.placed', { printer: names.get(row.printerId) ?? row.printerId, start: f.dateTime(job.start), end: f.dateTime(job.end) })}
            {job.setupMinutes > 0 && ` · ${t('schedule.setupMinutes', { n: job.setupMinutes })}`}
            {job.setupClass && ` · ${job.setupClass}`}
          </p>
          {job.pinned && (
            <div className="row" data-testid="job-pinned">
              <Badge tone="info">{t('schedule.pinned')}</Badge>
              <span className="muted">{t('schedule.pinnedHint')}</span>
              {canPlan && (
                <Button size="sm" onClick={() => void unpin({ id: jobId })} disabled={unpinState.isLoading || unpinState.isSuccess} data-testid="unpin">
                  {t('schedule.unpin')}
                </Button>
              )}
              {unpinState.isSuccess && <span className="muted">{t('schedule.unpinned')}</span>}
            </div>
          )}
          <ApiErrorView error={unpinState.error} />
          {job.reason ? (
            <>
              <p>
                <Badge tone="info" data-testid="reason-printer" data-code={job.reason.printer}>
                  {t(keyOr('planReason', job.reason.printer, 'planReason.search'))}
                </Badge>{' '}
                {job.reason.late && (
                  <Badge tone="danger" data-code={job.reason.late}>
                    {t(keyOr('planLate', job.reason.late, 'planLate.capacity'))}
                  </Badge>
                )}
              </p>
              <p className="muted" lang="en">
                {job.reason.text}
              </p>
            </>
          ) : (
            <p className="muted">{t('schedule.noReason')}</p>
          )}
          {job.dueAt && (
            <p className={job.late ? undefined : 'muted'}>
              {t('schedule.due', { at: f.dateTime(job.dueAt) })} {job.late && <Badge tone="danger">{t('schedule.late')}</Badge>}
            </p>
          )}
        </>
      ) : unscheduled ? (
        <p>{t('schedule.notPlaced', { reason: unscheduled.reason })}</p>
      ) : (
        <p className="muted">{t('schedule.notInPlan')}</p>
      )}
    </Card>
  );
}
