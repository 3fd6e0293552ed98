'use client';
import Link from 'next/link';
import { useState } from 'react';
import { Page } from '@/components/shell';
import { useCancelJobMutation, useJobsQuery, useRequeueJobMutation } from '@/lib/api/endpoints/farm';
import type { JobState } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { TabBar } from '@/components/ui/tabs';
import { ApiErrorView } from '@/components/errors';
import { JOB_STATES, JobStateBadge } from '@/components/status';
import { JobPriority } from '@/components/job-priority';

const PAGE = 50;
type Tab = 'ALL' | JobState;

function Jobs() {
  const t = useT();
  const f = useFormat();
  const s = useSession();
  const [tab, setTab] = useState<Tab>('QUEUED');
  const [search, setSearch] = useState('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const { data, error, isFetching } = useJobsQuery({
    first: PAGE,
    after: cursors[cursors.length - 1],
    state: tab === 'ALL' ? null : tab,
  });
  const [requeue, rq] = useRequeueJobMutation();
  const [cancel, cj] = useCancelJobMutation();
  const q = search.trim().replace(/^#/, '');
  const rows = (data?.jobs.nodes ?? []).filter(
    (j) => !q || j.id === q || j.orderId === q || (j.printer?.name ?? '').toLowerCase().includes(q.toLowerCase()),
  );
  return (
    <TabBar<Tab>
      label={t('jobs.tabs')}
      value={tab}
      onChange={(v) => {
        setTab(v);
        setCursors([null]);
      }}
      items={[{ value: 'ALL', label: t('jobs.all') }, ...JOB_STATES.map((st) => ({ value: st, label: t(`jobState.${st}`) }))]}
    >
      <div className="stack" style={{ marginTop: 12 }}>
        <Field label={t('jobs.search')} id="job-search">
          <Input id="job-search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="#42" />
        </Field>
        <ApiErrorView error={error ?? rq.error ?? cj.error} />
        <div className="table-wrap">
          <table className="table" data-testid="jobs-table">
            <thead>
              <tr>
                <th>{t('jobs.job')}</th>
                <th>{t('orders.number')}</th>
                <th>{t('jobs.state')}</th>
                <th className="hide-sm">{t('jobs.printer')}</th>
                <th className="hide-sm">{t('jobs.priority')}</th>
                <th className="hide-sm">{t('orders.due')}</th>
                <th>{t('jobs.history')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((j) => (
                <tr key={j.id} data-testid="jobs-row">
                  <td>
                    #{j.id} · {t('jobs.plate', { n: j.plateNo })}
                    {j.attempt > 1 && <span className="muted"> · {t('jobs.attempt', { n: j.attempt })}</span>}
                  </td>
                  <td>
                    <Link href={`/console/order/?id=${j.orderId}`}>#{j.orderId}</Link>
                  </td>
                  <td>
                    <JobStateBadge state={j.state} /> {j.state === 'PRINTING' && `${j.progressPct} %`}
                    {j.failureReason && <div className="muted">{j.failureReason}</div>}
                  </td>
                  <td className="hide-sm">{j.printer?.name ?? '—'}</td>
                  <td className="hide-sm">
                    {(j.state === 'QUEUED' || j.state === 'SCHEDULED') && can(s, 'production:plan') ? (
                      <JobPriority key={`${j.id}:${j.priority}`} id={j.id} priority={j.priority} />
                    ) : (
                      j.priority
                    )}
                  </td>
                  <td className="hide-sm">{f.date(j.dueAt)}</td>
                  <td>
                    <details>
                      <summary>{t('jobs.events', { n: j.events.length })}</summary>
                      <ol>
                        {j.events.map((e, i) => (
                          <li key={i}>
                            {f.dateTime(e.at)} {t(`jobState.${e.to}`)}
                            {e.note && <span className="muted"> · {e.note}</span>}
                          </li>
                        ))}
                      </ol>
                    </details>
                  </td>
                  <td>
                    <div className="row">
                      {j.state === 'FAILED' && can(s, 'production:operate') && (
                        <Button size="sm" disabled={rq.isLoading} onClick={() => requeue({ id: j.id })}>
                          {t('jobs.reprint')}
                        </Button>
                      )}
                      {(j.state === 'QUEUED' || j.state === 'SCHEDULED') && can(s, 'production:plan') && (
                        <Button size="sm" variant="danger" disabled={cj.isLoading} onClick={() => cancel({ id: j.id, note: '' })}>
                          {t('jobs.cancel')}
                        </Button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
              {!isFetching && rows.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted">
                    {t('jobs.none')}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <div className="row">
          <Button size="sm" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
            {t('common.previous')}
          </Button>
          <Button
            size="sm"
            disabled={!data?.jobs.pageInfo.hasNextPage}
            onClick={() => setCursors((c) => [...c, data?.jobs.pageInfo.endCursor ?? null])}
          >
            {t('common.next')}
          </Button>
        </div>
      </div>
    </TabBar>
  );
}

export default function JobsPage() {
  const t = useT();
  return (
    <Page perm="production:read" area="console" pack="staff">
      <h1>{t('nav.jobs')}</h1>
      <Jobs />
    </Page>
  );
}
