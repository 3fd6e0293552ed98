'use client';
import { useState } from 'react';
import { useCompleteTaskMutation, useLogTaskMutation, useOpenTasksQuery } from '@/lib/api/endpoints/crm';
import { useFormat, useT } from '@/lib/i18n';
import { Badge, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';
import { CRM_PAGE, Pager, useCursors } from './pager';

/** Open tasks (due dates, overdue marked) and a form to add one. */
export function Tasks({ canWrite }: { canWrite: boolean }) {
  const t = useT();
  const f = useFormat();
  const pages = useCursors();
  const { data, error } = useOpenTasksQuery({ first: CRM_PAGE, after: pages.after });
  const [complete, cp] = useCompleteTaskMutation();
  const [log, lg] = useLogTaskMutation();
  const [subject, setSubject] = useState('');
  const [due, setDue] = useState('');
  const [now] = useState(() => Date.now());
  return (
    <div className="stack">
      {canWrite && (
        <form
          className="row"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await log({ input: { kind: 'TASK', subject: subject.trim(), dueAt: due ? new Date(due).toISOString() : null } });
            if (!('error' in r)) {
              setSubject('');
              setDue('');
            }
          }}
        >
          <Field label={t('tasks.new')} id="task-subject">
            <Input id="task-subject" value={subject} onChange={(e) => setSubject(e.target.value)} required />
          </Field>
          <Field label={t('tasks.due')} id="task-due">
            <Input id="task-due" type="datetime-local" value={due} onChange={(e) => setDue(e.target.value)} />
          </Field>
          <Button type="submit" disabled={!subject.trim() || lg.isLoading}>
            {t('crm.add')}
          </Button>
        </form>
      )}
      <ApiErrorView error={error ?? cp.error ?? lg.error} />
      <ul className="thread" data-testid="tasks">
        {(data?.activities.nodes ?? []).map((a) => (
          <li key={a.id} className="row spread">
            <span>
              {a.subject}{' '}
              {a.dueAt && (
                <Badge tone={Date.parse(a.dueAt) < now ? 'danger' : 'neutral'}>
                  {t('tasks.dueAt', { at: f.dateTime(a.dueAt) })}
                </Badge>
              )}
            </span>
            {canWrite && (
              <Button size="sm" disabled={cp.isLoading} onClick={() => complete({ id: a.id })}>
                {t('tasks.done')}
              </Button>
            )}
          </li>
        ))}
        {data && data.activities.nodes.length === 0 && <li className="muted">{t('tasks.none')}</li>}
      </ul>
      <Pager pages={pages} pageInfo={data?.activities.pageInfo} />
    </div>
  );
}
