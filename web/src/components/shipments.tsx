'use client';
import { useEffect, useState } from 'react';
import { useAppDispatch, useAppSelector } from '@/lib/hooks';
import { wantPack } from '@/lib/store';
import {
  useCreateShipmentMutation,
  useLazyPackingSlipQuery,
  useSetShipmentStatusMutation,
  useShipmentsQuery,
} from '@/lib/api/endpoints/shipping';
import type { OrderStatus, ShipmentStatus } from '@/lib/graphql/generated';
import { savePdf } from '@/lib/download';
import { useFormat, useT } from '@/lib/i18n';
import { Badge, Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { Choice } from './ui/choice';
import { ApiErrorView } from './errors';

const NEXT: Record<ShipmentStatus, ShipmentStatus[]> = {
  LABEL_CREATED: ['IN_TRANSIT', 'CANCELLED'],
  IN_TRANSIT: ['OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION', 'RETURNED'],
  OUT_FOR_DELIVERY: ['DELIVERED', 'EXCEPTION', 'RETURNED'],
  EXCEPTION: ['IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'RETURNED'],
  DELIVERED: [],
  RETURNED: [],
  CANCELLED: [],
};

/** An order's parcels (carrier, tracking, status history); staff add parcels and move them. */
export default function Shipments({ orderId, orderStatus, staff }: { orderId: string; orderStatus: OrderStatus; staff: boolean }) {
  const t = useT();
  const f = useFormat();
  const { data, error } = useShipmentsQuery({ orderId });
  const [setStatus, st] = useSetShipmentStatusMutation();
  const [slip, slipState] = useLazyPackingSlipQuery();
  const shipments = data?.shipments ?? [];
  // Its messages are in the staff pack (customer pages stay small until a parcel is shown).
  const dispatch = useAppDispatch();
  const ready = useAppSelector((s) => s.ui.loadedPacks.includes(`staff:${s.ui.locale}`));
  useEffect(() => {
    if (staff || shipments.length > 0) dispatch(wantPack('staff'));
  }, [staff, shipments.length, dispatch]);
  if ((!staff && shipments.length === 0) || !ready) return null;
  return (
    <Card data-testid="shipments">
      <h2>{t('shipments.title')}</h2>
      <ApiErrorView error={error ?? st.error ?? slipState.error} />
      {shipments.length === 0 && <p className="muted">{t('shipments.none')}</p>}
      <ul className="thread">
        {shipments.map((s) => (
          <li key={s.id} data-testid="shipment" data-status={s.status}>
            <div className="row spread">
              <span>
                <strong>{s.carrier.toUpperCase()}</strong> {s.service} · <code>{s.trackingNumber}</code>
              </span>
              <Badge tone={s.status === 'DELIVERED' ? 'ok' : s.status === 'EXCEPTION' || s.status === 'RETURNED' ? 'danger' : 'info'}>
                {t(`shipmentStatus.${s.status}`)}
              </Badge>
            </div>
            <ol className="muted">
              {s.history.map((h, i) => (
                <li key={i}>
                  {f.dateTime(h.changedAt)} {t(`shipmentStatus.${h.to}`)}
                  {h.note && ` · ${h.note}`}
                </li>
              ))}
            </ol>
            {staff && (
              <div className="row">
                {NEXT[s.status].map((to) => (
                  <Button key={to} size="sm" disabled={st.isLoading} onClick={() => setStatus({ id: s.id, status: to, note: '' })} data-testid={`ship-${to}`}>
                    {t(`shipmentStatus.${to}`)}
                  </Button>
                ))}
                <Button
                  size="sm"
                  disabled={slipState.isFetching}
                  onClick={async () => {
                    const r = await slip({ id: s.id });
                    if (r.data) savePdf(`packing-slip-${s.id}.pdf`, r.data.shipment.packingSlipPdfBase64);
                  }}
                >
                  {t('shipments.slip')}
                </Button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {staff && (orderStatus === 'READY' || orderStatus === 'SHIPPED') && <NewShipment orderId={orderId} />}
    </Card>
  );
}

function NewShipment({ orderId }: { orderId: string }) {
  const t = useT();
  const [create, state] = useCreateShipmentMutation();
  const [carrier, setCarrier] = useState('dhl');
  const [service, setService] = useState('');
  const [tracking, setTracking] = useState('');
  return (
    <form
      className="row"
      style={{ alignItems: 'flex-end' }}
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await create({ input: { orderId, carrier: carrier.trim(), service: service.trim(), trackingNumber: tracking.trim() } });
        if (!('error' in r)) setTracking('');
      }}
    >
      <div className="field">
        <span className="muted">{t('shipments.carrier')}</span>
        <Choice
          label={t('shipments.carrier')}
          value={carrier}
          onChange={setCarrier}
          items={['dhl', 'ups', 'fedex', 'dpd', 'gls', 'post', 'courier'].map((c) => ({ value: c, label: c.toUpperCase() }))}
        />
      </div>
      <Field label={t('shipments.service')} id="ship-service">
        <Input id="ship-service" value={service} onChange={(e) => setService(e.target.value)} />
      </Field>
      <Field label={t('shipments.tracking')} id="ship-tracking">
        <Input id="ship-tracking" value={tracking} onChange={(e) => setTracking(e.target.value)} required />
      </Field>
      <Button type="submit" variant="primary" disabled={!tracking.trim() || state.isLoading} data-testid="ship-add">
        {t('shipments.add')}
      </Button>
      <ApiErrorView error={state.error} />
    </form>
  );
}
