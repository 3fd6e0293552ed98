'use client';
import { useState } from 'react';
import { useCashFlowQuery, useMarginsQuery } from '@/lib/api/endpoints/finance';
import type { MarginDimension } from '@/lib/graphql/generated';
import { bpText } from '@/lib/finance';
import { monthOf } from '@/lib/download';
import { useFormat, useT } from '@/lib/i18n';
import { Badge, Card } from '@/components/ui/basics';
import { Segmented } from '@/components/ui/segmented';
import { ApiErrorView } from '@/components/errors';

const DIMENSIONS: Exclude<MarginDimension, 'ORDER'>[] = ['PRODUCT', 'CUSTOMER', 'MATERIAL', 'PRINTER', 'PERIOD'];

/** Margin per product, customer, material, printer or month over the last twelve months. */
export function MarginsBy() {
  const t = useT();
  const f = useFormat();
  const [by, setBy] = useState<(typeof DIMENSIONS)[number]>('PRODUCT');
  const [span] = useState(() => ({ from: monthOf(new Date(), 11), to: monthOf(new Date()) }));
  const { data, error } = useMarginsQuery({ by, ...span });
  return (
    <Card>
      <div className="row spread">
        <h2>{t('finance.marginsBy')}</h2>
        <Segmented label={t('finance.marginsBy')} value={by} onChange={setBy} items={DIMENSIONS.map((d) => ({ value: d, label: t(`marginBy.${d}`) }))} />
      </div>
      <ApiErrorView error={error} />
      <div className="table-wrap">
        <table className="table" data-testid="margins-by">
          <thead>
            <tr>
              <th>{t(`marginBy.${by}`)}</th>
              <th>{t('finance.revenue')}</th>
              <th className="hide-sm">{t('finance.cost')}</th>
              <th>{t('finance.margin')}</th>
              <th className="hide-sm">{t('crm.orders')}</th>
            </tr>
          </thead>
          <tbody>
            {(data?.margins ?? []).map((m) => (
              <tr key={`${m.key}-${m.currency}`}>
                <td>{m.key ?? '—'}</td>
                <td>{f.money({ minor: m.revenueMinor, currency: m.currency })}</td>
                <td className="hide-sm">{f.money({ minor: m.costMinor, currency: m.currency })}</td>
                <td>
                  <Badge tone={m.marginMinor < 0 ? 'danger' : 'ok'}>
                    {f.money({ minor: m.marginMinor, currency: m.currency })} · {bpText(m.marginBp)}
                  </Badge>
                </td>
                <td className="hide-sm">{m.orders}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

/** Cash in and out per month with opening and closing balances. */
export function CashFlow({ from, to }: { from: string; to: string }) {
  const t = useT();
  const f = useFormat();
  const { data, error } = useCashFlowQuery({ from, to });
  return (
    <Card>
      <h2>{t('finance.cashFlow')}</h2>
      <ApiErrorView error={error} />
      <div className="table-wrap">
        <table className="table" data-testid="cash-flow">
          <thead>
            <tr>
              <th>{t('finance.period')}</th>
              <th className="hide-sm">{t('finance.opening')}</th>
              <th>{t('finance.receipts')}</th>
              <th className="hide-sm">{t('finance.refunds')}</th>
              <th className="hide-sm">{t('finance.expenses')}</th>
              <th>{t('finance.closing')}</th>
            </tr>
          </thead>
          <tbody>
            {(data?.cashFlow ?? []).map((c) => {
              const money = (minor: number) => f.money({ minor, currency: c.currency });
              return (
                <tr key={`${c.period}-${c.currency}`}>
                  <td>{c.period}</td>
                  <td className="hide-sm">{money(c.opening)}</td>
                  <td>{money(c.receipts)}</td>
                  <td className="hide-sm">{money(c.refunds)}</td>
                  <td className="hide-sm">{money(c.expenses)}</td>
                  <td>{money(c.closing)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
