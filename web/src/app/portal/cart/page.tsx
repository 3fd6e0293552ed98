'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { Page } from '@/components/shell';
import { useCartQuery, useRemoveFromCartMutation } from '@/lib/api/endpoints/shop';
import { usePlaceOrderMutation } from '@/lib/api/endpoints/orders';
import { useFormat, useT } from '@/lib/i18n';
import { Card } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';

function Cart() {
  const t = useT();
  const f = useFormat();
  const router = useRouter();
  const { data, error } = useCartQuery();
  const [remove, rm] = useRemoveFromCartMutation();
  const [place, pl] = usePlaceOrderMutation();
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  const cart = data.orders.nodes[0];
  if (!cart || cart.lines.length === 0)
    return (
      <p>
        {t('shop.emptyCart')} <Link href="/portal/shop/">{t('nav.shop')}</Link>
      </p>
    );
  return (
    <Card>
      <div className="table-wrap">
        <table className="table" data-testid="cart">
          <thead>
            <tr>
              <th>{t('orders.description')}</th>
              <th>{t('orders.quantity')}</th>
              <th>{t('orders.unitPrice')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {cart.lines.map((l) => (
              <tr key={l.id}>
                <td>{l.description}</td>
                <td>{l.quantity}</td>
                <td>{f.money(l.unitPrice)}</td>
                <td>
                  <Button size="sm" variant="danger" disabled={rm.isLoading} onClick={() => remove({ orderId: cart.id, lineId: l.id })}>
                    {t('shop.remove')}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        {t('orders.total')}: <strong data-testid="cart-total">{f.money(cart.total)}</strong>
      </p>
      <ApiErrorView error={rm.error ?? pl.error} />
      <Button
        variant="primary"
        disabled={pl.isLoading}
        data-testid="checkout"
        onClick={async () => {
          const r = await place({ id: cart.id });
          if (!('error' in r)) router.push(`/portal/order/?id=${cart.id}`);
        }}
      >
        {t('shop.checkout')}
      </Button>
      <p className="muted">{t('shop.paymentNote')}</p>
    </Card>
  );
}

export default function CartPage() {
  const t = useT();
  return (
    <Page perm="orders:place_own" area="portal">
      <h1>{t('nav.cart')}</h1>
      <Cart />
    </Page>
  );
}
