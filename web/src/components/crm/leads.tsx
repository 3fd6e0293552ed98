'use client';
import { useState } from 'react';
import { useConvertLeadMutation, useCreateLeadMutation, useLeadsQuery, useSetLeadStatusMutation } from '@/lib/api/endpoints/crm';
import type { LeadSource, LeadStatus } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Badge, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Choice } from '@/components/ui/choice';
import { ApiErrorView } from '@/components/errors';
import { CRM_PAGE, Pager, useCursors } from './pager';

export const LEAD_STATUSES: LeadStatus[] = ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST'];
export const LEAD_SOURCES: LeadSource[] = ['WEBSITE', 'REFERRAL', 'EVENT', 'EMAIL', 'PHONE', 'SOCIAL', 'PARTNER', 'OTHER'];
/** The next step of an open lead (NEW → CONTACTED → QUALIFIED); converting and losing are their own buttons. */
const NEXT: Partial<Record<LeadStatus, LeadStatus>> = { NEW: 'CONTACTED', CONTACTED: 'QUALIFIED', LOST: 'NEW' };

export function Leads({ canWrite }: { canWrite: boolean }) {
  const t = useT();
  const f = useFormat();
  const [status, setStatus] = useState<LeadStatus | 'ALL'>('ALL');
  const pages = useCursors();
  const { data, error } = useLeadsQuery({ status: status === 'ALL' ? null : status, first: CRM_PAGE, after: pages.after });
  const [setLeadStatus, st] = useSetLeadStatusMutation();
  const [convert, cv] = useConvertLeadMutation();
  return (
    <div className="stack">
      <div className="row">
        <Choice<LeadStatus | 'ALL'>
          label={t('crm.status')}
          value={status}
          onChange={(s) => {
            setStatus(s);
            pages.reset();
          }}
          items={[{ value: 'ALL', label: t('jobs.all') }, ...LEAD_STATUSES.map((s) => ({ value: s, label: t(`leadStatus.${s}`) }))]}
        />
      </div>
      {canWrite && <NewLead />}
      <ApiErrorView error={error ?? st.error ?? cv.error} />
      <div className="table-wrap">
        <table className="table" data-testid="leads-table">
          <thead>
            <tr>
              <th>{t('crm.name')}</th>
              <th className="hide-sm">{t('crm.source')}</th>
              <th>{t('crm.status')}</th>
              <th className="hide-sm">{t('crm.created')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(data?.leads.nodes ?? []).map((l) => {
              const next = NEXT[l.status];
              return (
                <tr key={l.id} data-testid="lead-row">
                  <td>
                    {l.name} {l.companyName && <span className="muted">· {l.companyName}</span>}
                    {l.email && <div className="muted">{l.email}</div>}
                  </td>
                  <td className="hide-sm">{t(`leadSource.${l.source}`)}</td>
                  <td>
                    <Badge tone={l.status === 'CONVERTED' ? 'ok' : l.status === 'LOST' ? 'danger' : 'info'}>{t(`leadStatus.${l.status}`)}</Badge>
                    {l.lostReason && <div className="muted">{l.lostReason}</div>}
                  </td>
                  <td className="hide-sm">{f.date(l.createdAt)}</td>
                  <td>
                    {canWrite && (
                      <div className="row">
                        {next && (
                          <Button size="sm" disabled={st.isLoading} onClick={() => setLeadStatus({ id: l.id, status: next })}>
                            {t(`leadStatus.${next}`)}
                          </Button>
                        )}
                        {l.status !== 'CONVERTED' && l.status !== 'LOST' && (
                          <>
                            <Button size="sm" variant="primary" disabled={cv.isLoading} onClick={() => convert({ id: l.id })}>
                              {t('crm.convert')}
                            </Button>
                            <Button
                              size="sm"
                              variant="danger"
                              disabled={st.isLoading}
                              onClick={() => setLeadStatus({ id: l.id, status: 'LOST', reason: t('crm.lostByHand') })}
                            >
                              {t('leadStatus.LOST')}
                            </Button>
                          </>
                        )}
                      </div>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Pager pages={pages} pageInfo={data?.leads.pageInfo} />
    </div>
  );
}

function NewLead() {
  const t = useT();
  const [create, state] = useCreateLeadMutation();
  const [name, setName] = useState('');
  const [companyName, setCompanyName] = useState('');
  const [email, setEmail] = useState('');
  const [source, setSource] = useState<LeadSource>('WEBSITE');
  return (
    <form
      className="row"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await create({ input: { name: name.trim(), companyName: companyName.trim() || null, email: email.trim() || null, source } });
        if (!('error' in r)) {
          setName('');
          setCompanyName('');
          setEmail('');
        }
      }}
    >
      <Field label={t('crm.newLead')} id="lead-name">
        <Input id="lead-name" value={name} onChange={(e) => setName(e.target.value)} required />
      </Field>
      <Field label={t('crm.company')} id="lead-company">
        <Input id="lead-company" value={companyName} onChange={(e) => setCompanyName(e.target.value)} />
      </Field>
      <Field label={t('crm.email')} id="lead-email">
        <Input id="lead-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </Field>
      <Field label={t('crm.source')} id="lead-source">
        <Choice<LeadSource> id="lead-source" label={t('crm.source')} value={source} onChange={setSource} items={LEAD_SOURCES.map((s) => ({ value: s, label: t(`leadSource.${s}`) }))} />
      </Field>
      <Button type="submit" disabled={!name.trim() || state.isLoading}>
        {t('crm.add')}
      </Button>
      <ApiErrorView error={state.error} />
    </form>
  );
}
