'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { quotableMaterials, type QuoteMaterial, useCreateOrderFromQuoteMutation, useCreateQuotesMutation, useQuoteMaterialsQuery } from '@/lib/api/endpoints/quote';
import { usePlaceOrderMutation } from '@/lib/api/endpoints/orders';
import type { CreateQuotesMutation } from '@/lib/graphql/generated';
import { errorText, useFormat, useT } from '@/lib/i18n';
import { Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { ApiErrorView } from './errors';

type Option = CreateQuotesMutation['createQuotes'][number];
type Row = { material: QuoteMaterial; option: Option };

/** Prices of an uploaded model in every offered material, and ordering one of them. */
export function QuotePrices({ modelId }: { modelId: string }) {
  const t = useT();
  const f = useFormat();
  const router = useRouter();
  const materials = useQuoteMaterialsQuery();
  const [createQuotes, quotes] = useCreateQuotesMutation();
  const [fromQuote] = useCreateOrderFromQuoteMutation();
  const [place] = usePlaceOrderMutation();
  const [quantity, setQuantity] = useState('1');
  const [rows, setRows] = useState<Row[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [orderError, setOrderError] = useState<unknown>(null);

  // One request prices every offered material; each row is a quote or the reason there is none.
  const price = async () => {
    const q = Math.max(1, Number.parseInt(quantity, 10) || 1);
    setBusy(true);
    const list = quotableMaterials(materials.data);
    const r = await createQuotes({ input: { modelId, materialIds: list.map((m) => m.id), quantity: q } });
    if ('data' in r && r.data) {
      const byId = new Map(r.data.createQuotes.map((o) => [o.materialId, o]));
      setRows(list.flatMap((m) => (byId.has(m.id) ? [{ material: m, option: byId.get(m.id)! }] : [])));
    } else setRows(null);
    setBusy(false);
  };

  const order = async (quoteId: string) => {
    setBusy(true);
    setOrderError(null);
    const r = await fromQuote({ quoteId, idempotencyKey: `quote-${quoteId}` });
    if ('error' in r) {
      setOrderError(r.error);
      setBusy(false);
      return;
    }
    const id = r.data.createOrderFromQuote.id;
    const p = await place({ id });
    if ('error' in p) setOrderError(p.error);
    router.push(`/portal/order/?id=${id}`);
  };

  return (
    <Card>
      <h2>{t('quote.prices')}</h2>
      <ApiErrorView error={materials.error} />
      <ApiErrorView error={quotes.error} />
      <form
        className="row"
        style={{ alignItems: 'flex-end' }}
        onSubmit={(e) => {
          e.preventDefault();
          void price();
        }}
      >
        <Field label={t('quote.quantity')} id="quantity">
          <Input id="quantity" type="number" min={1} max={10000} value={quantity} onChange={(e) => setQuantity(e.target.value)} />
        </Field>
        <Button type="submit" variant="primary" disabled={busy || !materials.data} data-testid="get-prices">
          {t('quote.getPrices')}
        </Button>
      </form>
      <p className="muted">{t('quote.breaks')}</p>
      {rows && (
        <div className="table-wrap">
          <table className="table" data-testid="price-table">
            <thead>
              <tr>
                <th>{t('quote.material')}</th>
                <th>{t('quote.unitPrice')}</th>
                <th>{t('quote.total')}</th>
                <th>{t('quote.delivery')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.material.id} data-testid="price-row" data-material={r.material.code}>
                  <td>
                    <span className="swatch" style={{ background: r.material.colour }} aria-hidden />
                    {r.material.code} <span className="muted">{r.material.colour}</span>
                    {r.option.quote?.printerModel && (
                      <div className="muted" data-testid="quote-printer-model">
                        {t('quote.estimatedFor', { model: r.option.quote.printerModel })}
                      </div>
                    )}
                  </td>
                  {r.option.quote ? (
                    <>
                      <td>{f.money(r.option.quote.unitPrice)}</td>
                      <td>
                        {f.money(r.option.quote.total)}
                        {r.option.quote.discountPct > 0 && <span className="muted"> (−{r.option.quote.discountPct} %)</span>}
                      </td>
                      <td>{r.option.quote.earliestDelivery ? f.dateTime(r.option.quote.earliestDelivery) : t('quote.noDelivery')}</td>
                      <td>
                        <Button size="sm" variant="primary" disabled={busy} onClick={() => void order(r.option.quote!.id)} data-testid="order-quote">
                          {t('quote.order')}
                        </Button>
                      </td>
                    </>
                  ) : (
                    <td colSpan={4} className="muted">
                      {errorText(t, { code: r.option.reason === 'NOT_FOUND' ? 'NOT_FOUND' : 'VALIDATION', reason: r.option.reason ?? '', message: r.option.message ?? '' })}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ApiErrorView error={orderError} />
    </Card>
  );
}
