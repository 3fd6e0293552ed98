'use client';
import Link from 'next/link';
import { useState } from 'react';
import {
  useInvoicesQuery,
  useIssueInvoiceMutation,
  useJobCostsQuery,
  useLazyInvoicePdfQuery,
  useOrderMarginsQuery,
} from '@/lib/api/endpoints/finance';
import { savePdf } from '@/lib/download';
import { bpText } from '@/lib/finance';
import { useFormat, useT } from '@/lib/i18n';
import { keyOr } from '@/lib/i18n/messages';
import { Badge, Card, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';
import { CsvButton } from './reports';
import { MarginsBy } from './by-dimension';

export function Invoices({ canWrite }: { canWrite: boolean }) {
  const t = useT();
  const f = useFormat();
  const { data, error, isLoading } = useInvoicesQuery({ limit: 200 });
  const [pdf, pdfState] = useLazyInvoicePdfQuery();
  const [issue, issued] = useIssueInvoiceMutation();
  const [orderId, setOrderId] = useState('');
  if (error) return <ApiErrorView error={error} />;
  if (isLoading || !data) return <p className="muted">{t('common.loading')}</p>;
  return (
    <div className="stack">
      {canWrite && (
        <Card>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (orderId.trim()) issue({ orderId: orderId.trim().replace(/^#/, '') });
            }}
          >
            <Field label={t('finance.issueFor')} id="issue-order">
              <Input id="issue-order" value={orderId} onChange={(e) => setOrderId(e.target.value)} placeholder="#42" />
            </Field>
            <Button type="submit" disabled={issued.isLoading}>
              {t('finance.issue')}
            </Button>
            {issued.data && <Badge tone="ok">{issued.data.issueInvoice.number}</Badge>}
          </form>
          <ApiErrorView error={issued.error} />
        </Card>
      )}
      <ApiErrorView error={pdfState.error} />
      <div className="table-wrap">
        <table className="table" data-testid="invoices-table">
          <thead>
            <tr>
              <th>{t('finance.number')}</th>
              <th>{t('orders.number')}</th>
              <th className="hide-sm">{t('orders.customer')}</th>
              <th className="hide-sm">{t('finance.issued')}</th>
              <th className="hide-sm">{t('finance.net')}</th>
              <th className="hide-sm">{t('finance.tax')}</th>
              <th>{t('finance.total')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.invoices.map((i) => (
              <tr key={i.id} data-testid="invoice-row">
                <td>
                  {i.number} {i.kind !== 'invoice' && <Badge tone="warn">{t('finance.creditNote')}</Badge>}
                </td>
                <td>
                  <Link href={`/console/order/?id=${i.orderId}`}>#{i.orderId}</Link>
                </td>
                <td className="hide-sm">{i.customerName}</td>
                <td className="hide-sm">{f.date(i.issuedAt)}</td>
                <td className="hide-sm">{f.money({ minor: i.netMinor, currency: i.currency })}</td>
                <td className="hide-sm">{f.money({ minor: i.taxMinor, currency: i.currency })}</td>
                <td>{f.money({ minor: i.totalMinor, currency: i.currency })}</td>
                <td>
                  <Button
                    size="sm"
                    disabled={pdfState.isFetching}
                    aria-label={t('finance.pdfOf', { number: i.number })}
                    onClick={async () => {
                      const r = await pdf({ id: i.id });
                      if (r.data) savePdf(`${i.number}.pdf`, r.data.invoice.pdfBase64);
                    }}
                  >
                    PDF
                  </Button>
                </td>
              </tr>
            ))}
            {data.invoices.length === 0 && (
              <tr>
                <td colSpan={8} className="muted">
                  {t('finance.noInvoices')}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function Margins() {
  const t = useT();
  const f = useFormat();
  const { data, error, isLoading } = useOrderMarginsQuery({ limit: 100 });
  const [open, setOpen] = useState<string | null>(null);
  if (error) return <ApiErrorView error={error} />;
  if (isLoading || !data) return <p className="muted">{t('common.loading')}</p>;
  return (
    <div className="stack">
      <MarginsBy />
      <div className="row">
        <CsvButton report="ORDER_MARGINS" />
      </div>
      <div className="table-wrap">
        <table className="table" data-testid="margins-table">
          <thead>
            <tr>
              <th>{t('orders.number')}</th>
              <th>{t('finance.revenue')}</th>
              <th className="hide-sm">{t('finance.materials')}</th>
              <th className="hide-sm">{t('finance.machine')}</th>
              <th className="hide-sm">{t('finance.failed')}</th>
              <th>{t('finance.margin')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.orderMargins.map((m) => {
              const money = (minor: number) => f.money({ minor, currency: m.currency });
              return (
                <tr key={m.orderId} data-testid="margin-row">
                  <td>
                    <Link href={`/console/order/?id=${m.orderId}`}>#{m.orderId}</Link>
                    {m.failedAttempts > 0 && (
                      <div className="muted">{t('finance.failedAttempts', { n: m.failedAttempts, total: m.attempts })}</div>
                    )}
                  </td>
                  <td>{money(m.revenueMinor)}</td>
                  <td className="hide-sm">{money(m.materialMinor)}</td>
                  <td className="hide-sm">{money(m.machineMinor)}</td>
                  <td className="hide-sm">{money(m.failedMinor)}</td>
                  <td>
                    <Badge tone={m.marginMinor < 0 ? 'danger' : 'ok'}>
                      {money(m.marginMinor)} · {bpText(m.marginBp)}
                    </Badge>
                  </td>
                  <td>
                    <Button size="sm" aria-expanded={open === m.orderId} onClick={() => setOpen(open === m.orderId ? null : m.orderId)}>
                      {t('finance.jobCosts')}
                    </Button>
                  </td>
                </tr>
              );
            })}
            {data.orderMargins.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  {t('finance.noPostings')}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {open && <JobCosts orderId={open} />}
    </div>
  );
}

function JobCosts({ orderId }: { orderId: string }) {
  const t = useT();
  const f = useFormat();
  const { data, error } = useJobCostsQuery({ orderId });
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  return (
    <Card>
      <div className="row spread">
        <h2>{t('finance.jobCostsOf', { id: orderId })}</h2>
        <CsvButton report="JOB_COSTS" orderId={orderId} />
      </div>
      <div className="table-wrap">
        <table className="table" data-testid="job-costs">
          <thead>
            <tr>
              <th>{t('jobs.job')}</th>
              <th>{t('jobs.state')}</th>
              <th className="hide-sm">{t('finance.grams')}</th>
              <th className="hide-sm">{t('finance.minutes')}</th>
              <th>{t('finance.total')}</th>
            </tr>
          </thead>
          <tbody>
            {data.jobCosts.map((c) => (
              <tr key={`${c.jobId}-${c.attempt}`}>
                <td>
                  #{c.jobId} · {t('jobs.attempt', { n: c.attempt })}
                </td>
                <td>{t(keyOr('jobState', c.state.toUpperCase(), 'planStatus.unknown'))}</td>
                <td className="hide-sm">{f.number(c.grams)} g</td>
                <td className="hide-sm">{f.number(c.minutes)}</td>
                <td>{f.money({ minor: c.totalMinor, currency: c.currency })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
