'use client';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { useOrdersQuery } from '@/lib/api/endpoints/orders';
import type { OrderStatus } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Button } from './ui/button';
import { Choice } from './ui/choice';
import { Field, Input } from './ui/basics';
import { ApiErrorView } from './errors';
import { ORDER_STATUSES, OrderStatusBadge } from './status';

const PAGE = 25;

/** Orders, newest first, with filters; `staff` adds the customer column and filter. */
export function OrdersTable({ detailPath, staff }: { detailPath: string; staff: boolean }) {
  const t = useT();
  const f = useFormat();
  const [status, setStatus] = useState<'all' | OrderStatus>('all');
  const [customerId, setCustomerId] = useState('all');
  const [dueBefore, setDueBefore] = useState('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  const { data, error, isFetching } = useOrdersQuery({
    first: PAGE,
    after,
    status: status === 'all' ? null : status,
    customerId: staff && customerId !== 'all' ? customerId : null,
  });
  // The customers of the orders shown (there is no customer list in the API yet).
  const customers = useMemo(() => {
    const seen = new Map<string, string>();
    for (const o of data?.orders.nodes ?? []) if (o.customer) seen.set(o.customerId, o.customer.name);
    return seen;
  }, [data]);
  const reset = () => setCursors([null]);
  const rows = (data?.orders.nodes ?? []).filter((o) => !dueBefore || (o.dueAt && o.dueAt.slice(0, 10) <= dueBefore));
  return (
    <div className="stack">
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <div className="field">
          <span className="muted">{t('orders.status')}</span>
          <Choice
            label={t('orders.status')}
            value={status}
            onChange={(v) => {
              setStatus(v);
              reset();
            }}
            items={[{ value: 'all', label: t('orders.allStatuses') }, ...ORDER_STATUSES.map((s) => ({ value: s, label: t(`orderStatus.${s}`) }))]}
          />
        </div>
        {staff && (
          <div className="field">
            <span className="muted">{t('orders.customer')}</span>
            <Choice
              label={t('orders.customer')}
              value={customerId}
              onChange={(v) => {
                setCustomerId(v);
                reset();
              }}
              items={[
                { value: 'all', label: t('orders.allCustomers') },
                ...[...customers].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => ({ value: id, label: name })),
              ]}
            />
          </div>
        )}
        <Field label={t('orders.dueBefore')} id="due-before">
          <Input id="due-before" type="date" value={dueBefore} onChange={(e) => setDueBefore(e.target.value)} />
        </Field>
      </div>
      <ApiErrorView error={error} />
      <div className="table-wrap">
        <table className="table" data-testid="orders-table">
          <thead>
            <tr>
              <th>{t('orders.number')}</th>
              {staff && <th>{t('orders.customer')}</th>}
              <th>{t('orders.status')}</th>
              <th>{t('orders.total')}</th>
              <th className="hide-sm">{t('orders.created')}</th>
              <th>{t('orders.due')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((o) => (
              <tr key={o.id} data-testid="order-row" data-order={o.id}>
                <td>
                  <Link href={`${detailPath}?id=${o.id}`}>#{o.id}</Link>
                </td>
                {staff && <td>{o.customer?.name ?? o.customerId}</td>}
                <td>
                  <OrderStatusBadge status={o.status} />
                </td>
                <td>{f.money(o.total)}</td>
                <td className="hide-sm">{f.date(o.createdAt)}</td>
                <td>{f.date(o.dueAt)}</td>
              </tr>
            ))}
            {!isFetching && rows.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  {t('orders.none')}
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
          disabled={!data?.orders.pageInfo.hasNextPage}
          onClick={() => setCursors((c) => [...c, data?.orders.pageInfo.endCursor ?? null])}
        >
          {t('common.next')}
        </Button>
      </div>
    </div>
  );
}
