'use client';
import { useState } from 'react';
import { Page } from '@/components/shell';
import { useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { useDealsQuery } from '@/lib/api/endpoints/crm';
import { TabBar } from '@/components/ui/tabs';
import { Customers } from '@/components/crm/customers';
import { Leads } from '@/components/crm/leads';
import { Deals } from '@/components/crm/deals';
import { Tickets } from '@/components/crm/tickets';
import { Tasks } from '@/components/crm/tasks';

type Tab = 'customers' | 'leads' | 'deals' | 'tickets' | 'tasks';

function DealsTab({ canWrite }: { canWrite: boolean }) {
  // The farm's currency: the one its materials are priced in.
  const { data } = useDealsQuery({ first: 1 });
  return <Deals canWrite={canWrite} currency={data?.materials[0]?.pricePerKg.currency ?? null} />;
}

function Crm() {
  const t = useT();
  const s = useSession();
  const canWrite = can(s, 'crm:write');
  const [tab, setTab] = useState<Tab>('customers');
  const items: { value: Tab; label: string }[] = [
    { value: 'customers', label: t('crm.customers') },
    { value: 'leads', label: t('crm.leads') },
    { value: 'deals', label: t('crm.deals') },
    { value: 'tickets', label: t('crm.tickets') },
    { value: 'tasks', label: t('crm.tasks') },
  ];
  return (
    <TabBar<Tab> label={t('nav.crm')} value={tab} onChange={setTab} items={items}>
      <div className="stack" style={{ marginTop: 12 }}>
        {tab === 'customers' && <Customers canWrite={canWrite} />}
        {tab === 'leads' && <Leads canWrite={canWrite} />}
        {tab === 'deals' && <DealsTab canWrite={canWrite} />}
        {tab === 'tickets' && <Tickets staff />}
        {tab === 'tasks' && <Tasks canWrite={canWrite} />}
      </div>
    </TabBar>
  );
}

export default function CrmPage() {
  const t = useT();
  return (
    <Page perm="crm:read" area="console" pack="staff">
      <h1>{t('nav.crm')}</h1>
      <Crm />
    </Page>
  );
}
