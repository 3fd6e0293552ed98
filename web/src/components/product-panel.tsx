'use client';
import { useState } from 'react';
import { useAddToCartMutation, useCartQuery, useCreateCartMutation, useProductQuery } from '@/lib/api/endpoints/shop';
import { useFormat, useT } from '@/lib/i18n';
import { Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { ApiErrorView } from './errors';
import { ReviewForm } from './review-form';

/** A product with its reviews, and "add to cart" (the cart is the newest draft order). */
export function ProductPanel({ id }: { id: string }) {
  const t = useT();
  const f = useFormat();
  const { data, error } = useProductQuery({ id });
  const cart = useCartQuery();
  const [createCart, cc] = useCreateCartMutation();
  const [add, ad] = useAddToCartMutation();
  const [quantity, setQuantity] = useState('1');
  const [added, setAdded] = useState(false);
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  const p = data.product;
  const addToCart = async () => {
    setAdded(false);
    let orderId = cart.data?.orders.nodes[0]?.id;
    if (!orderId) {
      const r = await createCart({ input: { currency: p.price.currency, lines: [] } });
      if ('error' in r) return;
      orderId = r.data.createOrder.id;
    }
    const r = await add({ orderId, line: { productId: p.id, quantity: Math.max(1, Number(quantity) || 1) } });
    if (!('error' in r)) setAdded(true);
  };
  return (
    <Card data-testid="product-panel">
      <h2>{p.name}</h2>
      <p>{p.description}</p>
      <dl className="kv">
        <dt>{t('shop.price')}</dt>
        <dd>{f.money(p.price)}</dd>
        <dt>{t('quote.material')}</dt>
        <dd>{p.defaultMaterial ? `${p.defaultMaterial.code} (${p.defaultMaterial.colour})` : '—'}</dd>
        <dt>{t('shop.rating')}</dt>
        <dd>{p.rating.count ? t('shop.ratingValue', { avg: f.number(p.rating.average ?? 0, 1), n: p.rating.count }) : t('shop.noReviews')}</dd>
      </dl>
      <form
        className="row"
        style={{ alignItems: 'flex-end', marginTop: 8 }}
        onSubmit={(e) => {
          e.preventDefault();
          void addToCart();
        }}
      >
        <Field label={t('quote.quantity')} id="shop-qty">
          <Input id="shop-qty" type="number" min={1} value={quantity} onChange={(e) => setQuantity(e.target.value)} />
        </Field>
        <Button type="submit" variant="primary" disabled={cc.isLoading || ad.isLoading} data-testid="add-to-cart">
          {t('shop.addToCart')}
        </Button>
      </form>
      {added && <p role="status">{t('shop.added')}</p>}
      <ApiErrorView error={cc.error ?? ad.error} />
      <h3>{t('shop.reviews')}</h3>
      {p.reviews.length === 0 ? (
        <p className="muted">{t('shop.noReviews')}</p>
      ) : (
        <ul>
          {p.reviews.map((r) => (
            <li key={r.id}>
              <span aria-label={t('shop.stars', { n: r.rating })}>{'★'.repeat(r.rating)}{'☆'.repeat(5 - r.rating)}</span> {r.body}{' '}
              <span className="muted">{f.date(r.createdAt)}</span>
            </li>
          ))}
        </ul>
      )}
      <ReviewForm productId={p.id} />
    </Card>
  );
}
