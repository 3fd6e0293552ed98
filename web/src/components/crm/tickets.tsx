'use client';
import Link from 'next/link';
import { useState } from 'react';
import {
  useOpenTicketMutation,
  useReplyToTicketMutation,
  useSetTicketStatusMutation,
  useTicketQuery,
  useTicketsQuery,
} from '@/lib/api/endpoints/crm';
import type { TicketPriority, TicketStatus } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Badge, Card, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Choice } from '@/components/ui/choice';
import { ApiErrorView } from '@/components/errors';
import { CRM_PAGE, Pager, useCursors } from './pager';

export const TICKET_STATUSES: TicketStatus[] = ['OPEN', 'PENDING', 'RESOLVED', 'CLOSED'];
export const TICKET_PRIORITIES: TicketPriority[] = ['LOW', 'NORMAL', 'HIGH', 'URGENT'];

const duration = (s: number | null) => (s == null ? '—' : s < 3600 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

/** Tickets with their thread: staff see every customer's, customers their own (the API decides). */
export function Tickets({ staff }: { staff: boolean }) {
  const t = useT();
  const f = useFormat();
  const [openOnly, setOpenOnly] = useState(staff);
  const [selected, setSelected] = useState<string | null>(null);
  const pages = useCursors();
  const { data, error } = useTicketsQuery({ openOnly, status: null, first: CRM_PAGE, after: pages.after });
  return (
    <div className="stack">
      <label className="row">
        <input type="checkbox" checked={openOnly} onChange={(e) => {
            setOpenOnly(e.target.checked);
            pages.reset();
          }} /> {t('tickets.openOnly')}
      </label>
      <ApiErrorView error={error} />
      <div className="table-wrap">
        <table className="table" data-testid="tickets-table">
          <thead>
            <tr>
              <th>{t('tickets.subject')}</th>
              <th>{t('crm.status')}</th>
              <th className="hide-sm">{t('tickets.priority')}</th>
              {staff && <th className="hide-sm">{t('tickets.firstResponse')}</th>}
              <th className="hide-sm">{t('tickets.updated')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(data?.tickets.nodes ?? []).map((tk) => (
              <tr key={tk.id} data-testid="ticket-row">
                <td>
                  #{tk.id} · {tk.subject}
                  {tk.orderId && <div className="muted">{t('orders.title', { id: tk.orderId })}</div>}
                </td>
                <td>
                  <Badge tone={tk.status === 'OPEN' ? 'warn' : tk.status === 'PENDING' ? 'info' : 'ok'}>{t(`ticketStatus.${tk.status}`)}</Badge>
                </td>
                <td className="hide-sm">{t(`ticketPriority.${tk.priority}`)}</td>
                {staff && <td className="hide-sm">{duration(tk.firstResponseSeconds)}</td>}
                <td className="hide-sm">{f.dateTime(tk.updatedAt)}</td>
                <td>
                  <Button size="sm" aria-pressed={selected === tk.id} onClick={() => setSelected(selected === tk.id ? null : tk.id)}>
                    {t('crm.open')}
                  </Button>
                </td>
              </tr>
            ))}
            {data && data.tickets.nodes.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  {t('tickets.none')}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager pages={pages} pageInfo={data?.tickets.pageInfo} />
      {selected && <Thread id={selected} staff={staff} />}
    </div>
  );
}

function Thread({ id, staff }: { id: string; staff: boolean }) {
  const t = useT();
  const f = useFormat();
  const { data, error } = useTicketQuery({ id });
  const [reply, rp] = useReplyToTicketMutation();
  const [setStatus, ss] = useSetTicketStatusMutation();
  const [body, setBody] = useState('');
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  const tk = data.ticket;
  return (
    <Card data-testid="ticket-thread">
      <h2>
        #{tk.id} · {tk.subject}
      </h2>
      {tk.orderId && staff && <Link href={`/console/order/?id=${tk.orderId}`}>{t('orders.title', { id: tk.orderId })}</Link>}
      <ol className="thread">
        {tk.replies.map((r) => (
          <li key={r.id} className={r.fromStaff ? 'staff' : undefined}>
            <div className="muted">
              {r.fromStaff ? t('tickets.fromStaff') : t('tickets.fromCustomer')} · {f.dateTime(r.createdAt)}
            </div>
            <p style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{r.body}</p>
          </li>
        ))}
      </ol>
      {tk.status !== 'CLOSED' && (
        <form
          className="stack"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await reply({ id, body: body.trim() });
            if (!('error' in r)) setBody('');
          }}
        >
          <Field label={t('tickets.reply')} id={`reply-${id}`}>
            <textarea id={`reply-${id}`} className="input" rows={3} value={body} onChange={(e) => setBody(e.target.value)} required />
          </Field>
          <div className="row">
            <Button type="submit" variant="primary" disabled={!body.trim() || rp.isLoading}>
              {t('tickets.send')}
            </Button>
            {staff &&
              TICKET_STATUSES.filter((s) => s !== tk.status).map((s) => (
                <Button key={s} size="sm" disabled={ss.isLoading} onClick={() => setStatus({ id, status: s })}>
                  {t(`ticketStatus.${s}`)}
                </Button>
              ))}
          </div>
        </form>
      )}
      <ApiErrorView error={rp.error ?? ss.error} />
    </Card>
  );
}

/** A customer opens a ticket, optionally about one of their orders. */
export function OpenTicketForm({ orders }: { orders: { id: string }[] }) {
  const t = useT();
  const [open, state] = useOpenTicketMutation();
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [orderId, setOrderId] = useState('');
  const [priority, setPriority] = useState<TicketPriority>('NORMAL');
  return (
    <Card>
      <h2>{t('tickets.new')}</h2>
      <form
        className="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await open({ input: { subject: subject.trim(), body: body.trim(), orderId: orderId || null, priority } });
          if (!('error' in r)) {
            setSubject('');
            setBody('');
          }
        }}
      >
        <div className="row">
          <Field label={t('tickets.subject')} id="ticket-subject">
            <Input id="ticket-subject" value={subject} onChange={(e) => setSubject(e.target.value)} required />
          </Field>
          <Field label={t('tickets.order')} id="ticket-order">
            <Choice
              id="ticket-order"
              label={t('tickets.order')}
              value={orderId}
              onChange={setOrderId}
              items={[{ value: '', label: '—' }, ...orders.map((o) => ({ value: o.id, label: t('orders.title', { id: o.id }) }))]}
            />
          </Field>
          <Field label={t('tickets.priority')} id="ticket-priority">
            <Choice<TicketPriority>
              id="ticket-priority"
              label={t('tickets.priority')}
              value={priority}
              onChange={setPriority}
              items={TICKET_PRIORITIES.map((p) => ({ value: p, label: t(`ticketPriority.${p}`) }))}
            />
          </Field>
        </div>
        <Field label={t('tickets.message')} id="ticket-body">
          <textarea id="ticket-body" className="input" rows={4} value={body} onChange={(e) => setBody(e.target.value)} required />
        </Field>
        <div className="row">
          <Button type="submit" variant="primary" disabled={!subject.trim() || !body.trim() || state.isLoading}>
            {t('tickets.submit')}
          </Button>
        </div>
        <ApiErrorView error={state.error} />
      </form>
    </Card>
  );
}
