'use client';
import { useState } from 'react';
import { useFinanceOverviewQuery, useLazyFinanceCsvQuery } from '@/lib/api/endpoints/finance';
import type { FinanceReport } from '@/lib/graphql/generated';
import { currenciesOf, pnlTotals } from '@/lib/finance';
import { monthOf, saveText } from '@/lib/download';
import { useFormat, useT } from '@/lib/i18n';
import { Badge, Card, Field, Input, Stat } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';
import { PnlChart } from './pnl-chart';
import { CashFlow } from './by-dimension';

/** A button that fetches a report as CSV from the API and saves it. */
export function CsvButton({ report, from, to, orderId }: { report: FinanceReport; from?: string; to?: string; orderId?: string }) {
  const t = useT();
  const [fetchCsv, { isFetching, error }] = useLazyFinanceCsvQuery();
  return (
    <span>
      <Button
        size="sm"
        disabled={isFetching}
        data-testid={`csv-${report}`}
        onClick={async () => {
          const r = await fetchCsv({ report, from, to, orderId, limit: 1000 });
          if (r.data) saveText(`${report.toLowerCase()}${from ? `-${from}-${to}` : ''}.csv`, r.data.financeReportCsv);
        }}
      >
        {t('finance.csv')}
      </Button>
      <ApiErrorView error={error} />
    </span>
  );
}

export function Reports() {
  const t = useT();
  const f = useFormat();
  const [now] = useState(() => new Date());
  const [from, setFrom] = useState(monthOf(now, 11));
  const [to, setTo] = useState(monthOf(now));
  const { data, error, isLoading } = useFinanceOverviewQuery({ from, to });
  if (error) return <ApiErrorView error={error} />;
  if (isLoading || !data) return <p className="muted">{t('common.loading')}</p>;
  const pnl = data.profitAndLoss;
  return (
    <div className="stack">
      <Card>
        <div className="row">
          <Field label={t('finance.from')} id="pnl-from">
            <Input id="pnl-from" type="month" value={from} max={to} onChange={(e) => e.target.value && setFrom(e.target.value)} />
          </Field>
          <Field label={t('finance.to')} id="pnl-to">
            <Input id="pnl-to" type="month" value={to} min={from} onChange={(e) => e.target.value && setTo(e.target.value)} />
          </Field>
          <CsvButton report="PROFIT_AND_LOSS" from={from} to={to} />
        </div>
        {pnl.length === 0 && <p className="muted">{t('finance.noPostings')}</p>}
        {currenciesOf(pnl).map((c) => {
          const tot = pnlTotals(pnl, c);
          return (
            <div key={c} className="stack">
              <div className="grid-stats">
                <Stat label={t('finance.revenue')} value={f.money({ minor: tot.revenue, currency: c })} testId="pnl-revenue" />
                <Stat label={t('finance.cost')} value={f.money({ minor: tot.cost, currency: c })} />
                <Stat label={t('finance.profit')} value={f.money({ minor: tot.profit, currency: c })} testId="pnl-profit" />
              </div>
              <PnlChart months={pnl} currency={c} />
            </div>
          );
        })}
        {pnl.length > 0 && (
          <div className="table-wrap">
            <table className="table" data-testid="pnl-table">
              <thead>
                <tr>
                  <th>{t('finance.period')}</th>
                  <th>{t('finance.revenue')}</th>
                  <th className="hide-sm">{t('finance.costOfGoods')}</th>
                  <th className="hide-sm">{t('finance.materials')}</th>
                  <th className="hide-sm">{t('finance.machine')}</th>
                  <th className="hide-sm">{t('finance.scrap')}</th>
                  <th className="hide-sm">{t('finance.other')}</th>
                  <th>{t('finance.profit')}</th>
                </tr>
              </thead>
              <tbody>
                {pnl.map((m) => {
                  const money = (minor: number) => f.money({ minor, currency: m.currency });
                  return (
                    <tr key={`${m.period}-${m.currency}`}>
                      <td>{m.period}</td>
                      <td>{money(m.revenue)}</td>
                      <td className="hide-sm">{money(m.costOfGoods)}</td>
                      <td className="hide-sm">{money(m.materials)}</td>
                      <td className="hide-sm">{money(m.machine)}</td>
                      <td className="hide-sm">{money(m.scrap)}</td>
                      <td className="hide-sm">{money(m.other)}</td>
                      <td>{money(m.profit)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card>
        <div className="row spread">
          <h2>{t('finance.ageing')}</h2>
          <CsvButton report="RECEIVABLES_AGEING" />
        </div>
        <div className="table-wrap">
          <table className="table" data-testid="ageing-table">
            <thead>
              <tr>
                <th>{t('finance.currency')}</th>
                <th>{t('finance.current')}</th>
                <th>31–60</th>
                <th>61–90</th>
                <th>&gt; 90</th>
                <th>{t('finance.total')}</th>
              </tr>
            </thead>
            <tbody>
              {data.receivablesAgeing.map((a) => {
                const money = (minor: number) => f.money({ minor, currency: a.currency });
                return (
                  <tr key={a.currency}>
                    <td>{a.currency}</td>
                    <td>{money(a.current)}</td>
                    <td>{money(a.days3160)}</td>
                    <td>{money(a.days6190)}</td>
                    <td>{money(a.over90)}</td>
                    <td>{money(a.total)}</td>
                  </tr>
                );
              })}
              {data.receivablesAgeing.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    {t('finance.nothingOwed')}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </Card>
      <CashFlow from={from} to={to} />
      <TrialBalance accounts={data.trialBalance.accounts} balanced={data.trialBalance.balanced} />
    </div>
  );
}

type Balance = NonNullable<ReturnType<typeof useFinanceOverviewQuery>['data']>['trialBalance']['accounts'][number];

function TrialBalance({ accounts, balanced }: { accounts: Balance[]; balanced: boolean }) {
  const t = useT();
  const f = useFormat();
  return (
    <Card>
      <div className="row spread">
        <h2>{t('finance.trialBalance')}</h2>
        <Badge tone={balanced ? 'ok' : 'danger'} data-testid="trial-balance">
          {balanced ? t('finance.balanced') : t('finance.unbalanced')}
        </Badge>
      </div>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th>{t('finance.account')}</th>
              <th className="hide-sm">{t('finance.debits')}</th>
              <th className="hide-sm">{t('finance.credits')}</th>
              <th>{t('finance.balance')}</th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <tr key={`${a.account.code}-${a.currency}`}>
                <td>
                  {a.account.code} · {a.account.name}
                </td>
                <td className="hide-sm">{f.money({ minor: a.debits, currency: a.currency })}</td>
                <td className="hide-sm">{f.money({ minor: a.credits, currency: a.currency })}</td>
                <td>{f.money({ minor: a.balance, currency: a.currency })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
