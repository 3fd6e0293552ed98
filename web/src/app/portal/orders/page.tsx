'use client';
import { Page } from '@/components/shell';
import { OrdersTable } from '@/components/orders-table';
import { useT } from '@/lib/i18n';

export default function MyOrdersPage() {
  const t = useT();
  return (
    <Page perm="orders:read_own" area="portal">
      <h1>{t('nav.myOrders')}</h1>
      <OrdersTable detailPath="/portal/order/" staff={false} />
    </Page>
  );
}
