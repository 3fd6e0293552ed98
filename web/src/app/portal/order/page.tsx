'use client';
import { Suspense } from 'react';
import { Page } from '@/components/shell';
import { OrderDetail } from '@/components/order-detail';

export default function MyOrderPage() {
  return (
    <Page perm="orders:read_own" area="portal">
      <Suspense>
        <OrderDetail />
      </Suspense>
    </Page>
  );
}
