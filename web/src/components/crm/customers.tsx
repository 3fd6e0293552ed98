'use client';
import Link from 'next/link';
import { useState } from 'react';
import { useCreateCustomerMutation, useCustomerPageQuery, useCustomersQuery } from '@/lib/api/endpoints/crm';
import { useFormat, useT } from '@/lib/i18n';
import { Badge, Card, Field, Input, Stat } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';
import { OrderStatusBadge } from '@/components/status';
import { CRM_PAGE, Pager, useCursors } from './pager';

export function Customers({ canWrite }: { canWrite: boolean }) {
  const t = useT();
  const [search, setSearch] = useState('');
  const pages = useCursors();
  const q = search.trim();
  const { data, error, isLoading } = useCustomersQuery({ first: CRM_PAGE, after: pages.after, search: q || null });
  const [selected, setSelected] = useState<string | null>(null);
  if (error) return <ApiErrorView error={error} />;
  if (isLoading || !data) return <p className="muted">{t('common.loading')}</p>;
  const rows = data.customers.nodes;
  return (
    <div className="stack">
      <div className="row">
        <Field label={t('crm.search')} id="customer-search">
          <Input
            id="customer-search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              pages.reset();
            }}
          />
        </Field>
        {canWrite && <NewCustomer />}
      </div>
      <div className="table-wrap">
        <table className="table" data-testid="customers-table">
          <thead>
            <tr>
              <th>{t('crm.name')}</th>
              <th className="hide-sm">{t('crm.email')}</th>
              <th className="hide-sm">{t('crm.company')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id} data-testid="customer-row">
                <td>
                  #{c.id} · {c.name}
                </td>
                <td className="hide-sm">{c.email ?? '—'}</td>
                <td className="hide-sm">{c.company ?? '—'}</td>
                <td>
                  <Button size="sm" aria-pressed={selected === c.id} onClick={() => setSelected(selected === c.id ? null : c.id)}>
                    {t('crm.open')}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pages={pages} pageInfo={data.customers.pageInfo} />
      {selected && <CustomerCard customerId={selected} />}
    </div>
  );
}

function NewCustomer() {
  const t = useT();
  const [create, state] = useCreateCustomerMutation();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  return (
    <form
      className="row"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await create({ input: { name: name.trim(), email: email.trim() || null } });
        if (!('error' in r)) {
          setName('');
          setEmail('');
        }
      }}
    >
      <Field label={t('crm.newCustomer')} id="new-customer-name">
        <Input id="new-customer-name" value={name} onChange={(e) => setName(e.target.value)} required />
      </Field>
      <Field label={t('crm.email')} id="new-customer-email">
        <Input id="new-customer-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </Field>
      <Button type="submit" disabled={!name.trim() || state.isLoading}>
        {t('crm.add')}
      </Button>
      <ApiErrorView error={state.error} />
    </form>
  );
}

function CustomerCard({ customerId }: { customerId: string }) {
  const t = useT();
  const f = useFormat();
  const { data, error } = useCustomerPageQuery({ customerId });
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  const p = data.customerPage;
  const money = (ms: { minor: number; currency: string }[] | null) => (ms && ms.length ? ms.map((m) => f.money(m)).join(' · ') : '—');
  return (
    <Card data-testid="customer-page">
      <h2>
        {p.customer.name} {p.customer.company && <span className="muted">· {p.customer.company}</span>}
      </h2>
      <div className="grid-stats">
        <Stat label={t('crm.lifetimeRevenue')} value={money(p.lifetimeRevenue)} testId="lifetime-revenue" />
        <Stat label={t('crm.lifetimeMargin')} value={money(p.lifetimeMargin)} />
        <Stat label={t('crm.orders')} value={p.orders.length} />
        <Stat label={t('crm.openTickets')} value={p.openTickets.length} />
      </div>
      {p.lastActivity && (
        <p className="muted">
          {t('crm.lastActivity')}: {t(`activity.${p.lastActivity.kind}`)} · {p.lastActivity.subject} · {f.dateTime(p.lastActivity.createdAt)}
        </p>
      )}
      <h3>{t('crm.contacts')}</h3>
      <ul>
        {p.contacts.map((c) => (
          <li key={c.id}>
            {c.name} {c.title && <span className="muted">· {c.title}</span>} {c.email && <span className="muted">· {c.email}</span>}
          </li>
        ))}
        {p.companies.map((c) => (
          <li key={`c${c.id}`}>
            {c.name} {c.tags.map((tag) => <Badge key={tag}>{tag}</Badge>)}
          </li>
        ))}
        {p.contacts.length + p.companies.length === 0 && <li className="muted">—</li>}
      </ul>
      <h3>{t('crm.orders')}</h3>
      <ul>
        {p.orders.map((o) => (
          <li key={o.id}>
            <Link href={`/console/order/?id=${o.id}`}>#{o.id}</Link> <OrderStatusBadge status={o.status} /> {f.money(o.total)} ·{' '}
            {f.date(o.createdAt)}
          </li>
        ))}
      </ul>
      {p.openDeals.length > 0 && (
        <>
          <h3>{t('crm.deals')}</h3>
          <ul>
            {p.openDeals.map((d) => (
              <li key={d.id}>
                {d.title} · {t(`dealStage.${d.stage}`)} · {f.money(d.value)} · {d.probability} %
              </li>
            ))}
          </ul>
        </>
      )}
      {p.openTickets.length > 0 && (
        <>
          <h3>{t('crm.openTickets')}</h3>
          <ul>
            {p.openTickets.map((tk) => (
              <li key={tk.id}>
                #{tk.id} {tk.subject} · {t(`ticketStatus.${tk.status}`)} · {t(`ticketPriority.${tk.priority}`)}
              </li>
            ))}
          </ul>
        </>
      )}
    </Card>
  );
}
