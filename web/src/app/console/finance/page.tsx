'use client';
import { useState } from 'react';
import { Page } from '@/components/shell';
import { useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { TabBar } from '@/components/ui/tabs';
import { Reports } from '@/components/finance/reports';
import { Invoices, Margins } from '@/components/finance/invoices';
import { ExpenseForm } from '@/components/finance/expense-form';
import { JournalForm } from '@/components/finance/journal-form';
import { useFinanceOverviewQuery } from '@/lib/api/endpoints/finance';
import { monthOf } from '@/lib/download';

type Tab = 'reports' | 'margins' | 'invoices' | 'expenses';

function Expenses() {
  const [now] = useState(() => new Date());
  // The farm's currency: the one its materials are priced in.
  const { data } = useFinanceOverviewQuery({ from: monthOf(now, 11), to: monthOf(now) });
  const currency = data?.materials[0]?.pricePerKg.currency;
  return currency ? (
    <>
      <ExpenseForm currency={currency} />
      <JournalForm currency={currency} />
    </>
  ) : null;
}

function Finance() {
  const t = useT();
  const s = useSession();
  const canWrite = can(s, 'finance:write');
  const [tab, setTab] = useState<Tab>('reports');
  const items: { value: Tab; label: string }[] = [
    { value: 'reports', label: t('finance.reports') },
    { value: 'margins', label: t('finance.margins') },
    { value: 'invoices', label: t('finance.invoices') },
  ];
  if (canWrite) items.push({ value: 'expenses', label: t('finance.expenses') });
  return (
    <TabBar<Tab> label={t('nav.finance')} value={tab} onChange={setTab} items={items}>
      <div className="stack" style={{ marginTop: 12 }}>
        {tab === 'reports' && <Reports />}
        {tab === 'margins' && <Margins />}
        {tab === 'invoices' && <Invoices canWrite={canWrite} />}
        {tab === 'expenses' && <Expenses />}
      </div>
    </TabBar>
  );
}

export default function FinancePage() {
  const t = useT();
  return (
    <Page perm="finance:read" area="console" pack="staff">
      <h1>{t('nav.finance')}</h1>
      <Finance />
    </Page>
  );
}
