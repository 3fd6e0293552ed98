'use client';
import { Page } from '@/components/shell';
import { OrdersTable } from '@/components/orders-table';
import { useT } from '@/lib/i18n';

export default function OrdersPage() {
  const t = useT();
  return (
    <Page perm="orders:read_all" area="console" pack="staff">
      <h1>{t('nav.orders')}</h1>
      <OrdersTable detailPath="/console/order/" staff />
    </Page>
  );
}
