'use client';
import { Suspense } from 'react';
import { Page } from '@/components/shell';
import { OrderDetail } from '@/components/order-detail';

export default function OrderPage() {
  return (
    <Page perm="orders:read_all" area="console" pack="staff">
      <Suspense>
        <OrderDetail />
      </Suspense>
    </Page>
  );
}
