'use client';
import { Page } from '@/components/shell';
import { useOrdersQuery } from '@/lib/api/endpoints/orders';
import { OpenTicketForm, Tickets } from '@/components/crm/tickets';
import { useT } from '@/lib/i18n';

function Support() {
  const { data } = useOrdersQuery({ first: 50 });
  return (
    <div className="stack">
      <OpenTicketForm orders={data?.orders.nodes ?? []} />
      <Tickets staff={false} />
    </div>
  );
}

export default function SupportPage() {
  const t = useT();
  return (
    <Page perm="tickets:own" area="portal" pack="staff">
      <h1>{t('nav.support')}</h1>
      <Support />
    </Page>
  );
}
