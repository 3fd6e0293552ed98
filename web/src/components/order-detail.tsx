'use client';
import { useSearchParams } from 'next/navigation';
import { useState } from 'react';
import * as O from '@/lib/api/endpoints/orders';
import { orderActions, type OrderAction } from '@/lib/orderActions';
import { useFormat, useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { Card, Field, Input, ProgressBar } from './ui/basics';
import { Button } from './ui/button';
import dynamic from 'next/dynamic';
import { ApiErrorView } from './errors';
import { JobStateBadge, OrderStatusBadge } from './status';

// The dialog's code loads only when a reason is asked (keeps customer pages small).
const Modal = dynamic(() => import('./ui/modal').then((m) => m.Modal), { ssr: false });
// Parcels load with their own chunk once the order could have any.
const Shipments = dynamic(() => import('./shipments'), { ssr: false });

function Actions({ id, status }: { id: string; status: Parameters<typeof orderActions>[0] }) {
  const t = useT();
  const s = useSession();
  const [place, a1] = O.usePlaceOrderMutation();
  const [pay, a2] = O.usePayOrderMutation();
  const [start, a3] = O.useStartProductionMutation();
  const [ready, a4] = O.useMarkReadyMutation();
  const [ship, a5] = O.useShipOrderMutation();
  const [deliver, a6] = O.useDeliverOrderMutation();
  const [cancel, a7] = O.useCancelOrderMutation();
  const [refund, a8] = O.useRefundOrderMutation();
  const [asking, setAsking] = useState<'cancel' | 'refund' | null>(null);
  const [reason, setReason] = useState('');
  const states = [a1, a2, a3, a4, a5, a6, a7, a8];
  const busy = states.some((x) => x.isLoading);
  const error = states.find((x) => x.error)?.error;
  const run: Record<OrderAction, () => void> = {
    place: () => void place({ id }),
    pay: () => void pay({ id }),
    startProduction: () => void start({ orderId: id }),
    markReady: () => void ready({ id }),
    ship: () => void ship({ id }),
    deliver: () => void deliver({ id }),
    cancel: () => setAsking('cancel'),
    refund: () => setAsking('refund'),
  };
  const actions = orderActions(status, s?.user.permissions ?? []);
  if (actions.length === 0) return null;
  return (
    <div className="stack">
      <div className="row">
        {actions.map((a) => (
          <Button
            key={a}
            variant={a === 'cancel' || a === 'refund' ? 'danger' : 'primary'}
            disabled={busy}
            onClick={run[a]}
            data-testid={`order-${a}`}
          >
            {t(`orderAction.${a}`)}
          </Button>
        ))}
      </div>
      <ApiErrorView error={error} />
      {asking !== null && (
      <Modal open onOpenChange={(o) => !o && setAsking(null)} title={t(asking === 'refund' ? 'orderAction.refund' : 'orderAction.cancel')}>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (asking === 'cancel') void cancel({ id, reason });
            if (asking === 'refund') void refund({ id, reason });
            setAsking(null);
          }}
        >
          <Field label={t('orders.reason')} id="order-reason">
            <Input id="order-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          </Field>
          <div className="row">
            <Button type="submit" variant="danger" data-testid="order-confirm">
              {t('common.confirm')}
            </Button>
            <Button onClick={() => setAsking(null)}>{t('common.close')}</Button>
          </div>
        </form>
      </Modal>
      )}
    </div>
  );
}

/** One order (`?id=`): lines, jobs with live progress, status history and lifecycle actions. */
export function OrderDetail() {
  const t = useT();
  const f = useFormat();
  const id = useSearchParams().get('id') ?? '';
  const session = useSession();
  // Staff who move parcels; customers only see theirs.
  const staff = !!session && (session.user.permissions.includes('orders:write') || session.user.permissions.includes('production:operate'));
  const { data, error, isLoading } = O.useOrderQuery({ id }, { skip: !id });
  if (!id) return <p className="muted">{t('orders.none')}</p>;
  if (error) return <ApiErrorView error={error} />;
  if (isLoading || !data) return <p className="muted">{t('common.loading')}</p>;
  const o = data.order;
  return (
    <div className="stack">
      <div className="row">
        <h1 style={{ margin: 0 }}>{t('orders.title', { id: o.id })}</h1>
        <OrderStatusBadge status={o.status} />
      </div>
      <Card>
        <dl className="kv">
          <dt>{t('orders.customer')}</dt>
          <dd>{o.customer ? `${o.customer.name}${o.customer.company ? ` (${o.customer.company})` : ''}` : o.customerId}</dd>
          <dt>{t('orders.total')}</dt>
          <dd data-testid="order-total">{f.money(o.total)}</dd>
          <dt>{t('orders.due')}</dt>
          <dd>{f.date(o.dueAt)}</dd>
          <dt>{t('orders.created')}</dt>
          <dd>{f.dateTime(o.createdAt)}</dd>
        </dl>
      </Card>
      <Actions id={o.id} status={o.status} />
      <Card>
        <h2>{t('orders.lines')}</h2>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('orders.description')}</th>
                <th>{t('orders.material')}</th>
                <th>{t('orders.quantity')}</th>
                <th>{t('orders.unitPrice')}</th>
                <th>{t('orders.printed')}</th>
              </tr>
            </thead>
            <tbody>
              {o.lines.map((l) => (
                <tr key={l.id}>
                  <td>{l.lineNo}</td>
                  <td>{l.description}</td>
                  <td>{l.material ? `${l.material.code} · ${l.colour}` : l.colour}</td>
                  <td>{l.quantity}</td>
                  <td>{f.money(l.unitPrice)}</td>
                  <td>
                    {l.printedCount}/{l.quantity}
                    {l.failedCount > 0 && ` (${t('orders.failed', { n: l.failedCount })})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <Card>
        <h2>{t('orders.jobs')}</h2>
        {o.jobs.length === 0 ? (
          <p className="muted">{t('orders.noJobs')}</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="order-jobs">
              <thead>
                <tr>
                  <th>{t('jobs.job')}</th>
                  <th>{t('jobs.state')}</th>
                  <th>{t('jobs.progress')}</th>
                  <th className="hide-sm">{t('jobs.printer')}</th>
                  <th className="hide-sm">{t('jobs.planned')}</th>
                </tr>
              </thead>
              <tbody>
                {o.jobs.map((j) => (
                  <tr key={j.id} data-testid="job-row" data-job={j.id}>
                    <td>
                      #{j.id} · {t('jobs.plate', { n: j.plateNo })}
                    </td>
                    <td>
                      <JobStateBadge state={j.state} />
                    </td>
                    <td style={{ minWidth: 120 }}>
                      <div className="row" style={{ flexWrap: 'nowrap', gap: 8 }}>
                        <div style={{ flex: 1 }}>
                          <ProgressBar value={j.progressPct} label={t('jobs.progressOf', { id: j.id })} />
                        </div>
                        <span>{j.progressPct} %</span>
                      </div>
                    </td>
                    <td className="hide-sm">{j.printer?.name ?? '—'}</td>
                    <td className="hide-sm">{f.dateTime(j.plannedStart)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {(['READY', 'SHIPPED', 'DELIVERED', 'REFUNDED'] as const).some((st) => st === o.status) && (
        <Shipments orderId={o.id} orderStatus={o.status} staff={staff} />
      )}
      <Card>
        <h2>{t('orders.history')}</h2>
        <ol>
          {o.statusHistory.map((h, i) => (
            <li key={i}>
              {f.dateTime(h.changedAt)} — {h.from ? `${t(`orderStatus.${h.from}`)} → ` : ''}
              {t(`orderStatus.${h.to}`)}
              {h.note && <span className="muted"> · {h.note}</span>}
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}
