'use client';
import { useState } from 'react';
import {
  useCreateWebhookEndpointMutation,
  useHeldInboundQuery,
  useReplayWebhookDeliveryMutation,
  useRotateWebhookSecretMutation,
  useSetWebhookEndpointEnabledMutation,
  useWebhookDeliveriesQuery,
  useWebhooksQuery,
} from '@/lib/api/endpoints/integrations';
import type { WebhookDeliveryStatus } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { keyOr } from '@/lib/i18n/messages';
import { Alert, Badge, Card, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Choice } from '@/components/ui/choice';
import { ApiErrorView } from '@/components/errors';

/** A secret is shown once, right after it was made. */
function Secret({ secret }: { secret: string }) {
  const t = useT();
  return (
    <Alert tone="info">
      {t('webhooks.secretOnce')} <code data-testid="webhook-secret">{secret}</code>
    </Alert>
  );
}

export function Endpoints({ canManage }: { canManage: boolean }) {
  const t = useT();
  const { data, error, isLoading } = useWebhooksQuery();
  const [enable, en] = useSetWebhookEndpointEnabledMutation();
  const [rotate, rt] = useRotateWebhookSecretMutation();
  const [selected, setSelected] = useState<string | null>(null);
  if (error) return <ApiErrorView error={error} />;
  if (isLoading || !data) return <p className="muted">{t('common.loading')}</p>;
  return (
    <div className="stack">
      {canManage && <NewEndpoint eventTypes={data.webhookEventTypes} />}
      {rt.data && <Secret secret={rt.data.rotateWebhookSecret.secret} />}
      <ApiErrorView error={en.error ?? rt.error} />
      <div className="table-wrap">
        <table className="table" data-testid="endpoints-table">
          <thead>
            <tr>
              <th>{t('webhooks.url')}</th>
              <th className="hide-sm">{t('webhooks.events')}</th>
              <th>{t('crm.status')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.webhookEndpoints.map((e) => (
              <tr key={e.id} data-testid="endpoint-row">
                <td>
                  <code>{e.url}</code>
                  {e.description && <div className="muted">{e.description}</div>}
                </td>
                <td className="hide-sm">{e.eventTypes.join(', ')}</td>
                <td>
                  <Badge tone={e.enabled ? 'ok' : 'danger'}>{e.enabled ? t('webhooks.enabled') : t('webhooks.disabled')}</Badge>
                  {e.consecutiveFailures > 0 && <div className="muted">{t('webhooks.failures', { n: e.consecutiveFailures })}</div>}
                  {e.disabledReason && <div className="muted">{e.disabledReason}</div>}
                </td>
                <td>
                  <div className="row">
                    <Button size="sm" aria-pressed={selected === e.id} onClick={() => setSelected(selected === e.id ? null : e.id)}>
                      {t('webhooks.deliveries')}
                    </Button>
                    {canManage && (
                      <>
                        <Button size="sm" disabled={en.isLoading} onClick={() => enable({ id: e.id, enabled: !e.enabled })}>
                          {e.enabled ? t('webhooks.disable') : t('webhooks.enable')}
                        </Button>
                        <Button size="sm" disabled={rt.isLoading} onClick={() => rotate({ id: e.id, overlapHours: 24 })}>
                          {t('webhooks.rotate')}
                        </Button>
                      </>
                    )}
                  </div>
                </td>
              </tr>
            ))}
            {data.webhookEndpoints.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  {t('webhooks.none')}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {selected && <Deliveries endpointId={selected} canManage={canManage} />}
    </div>
  );
}

function NewEndpoint({ eventTypes }: { eventTypes: string[] }) {
  const t = useT();
  const [create, state] = useCreateWebhookEndpointMutation();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<string[]>([]);
  return (
    <Card>
      <h2>{t('webhooks.new')}</h2>
      <form
        className="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await create({ input: { url: url.trim(), description: description.trim(), eventTypes: types } });
          if (!('error' in r)) {
            setUrl('');
            setDescription('');
            setTypes([]);
          }
        }}
      >
        <div className="row">
          <Field label={t('webhooks.url')} id="wh-url">
            <Input id="wh-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" required />
          </Field>
          <Field label={t('finance.description')} id="wh-description">
            <Input id="wh-description" value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
        </div>
        <fieldset className="row">
          <legend>{t('webhooks.events')}</legend>
          {eventTypes.map((ty) => (
            <label key={ty} className="row">
              <input
                type="checkbox"
                checked={types.includes(ty)}
                onChange={(e) => setTypes((cur) => (e.target.checked ? [...cur, ty] : cur.filter((x) => x !== ty)))}
              />
              <code>{ty}</code>
            </label>
          ))}
        </fieldset>
        <div className="row">
          <Button type="submit" variant="primary" disabled={!url.trim() || types.length === 0 || state.isLoading}>
            {t('crm.add')}
          </Button>
        </div>
        {state.data && <Secret secret={state.data.createWebhookEndpoint.secret} />}
        <ApiErrorView error={state.error} />
      </form>
    </Card>
  );
}

const DELIVERY: (WebhookDeliveryStatus | 'ALL')[] = ['ALL', 'PENDING', 'SUCCEEDED', 'FAILED'];

function Deliveries({ endpointId, canManage }: { endpointId: string; canManage: boolean }) {
  const t = useT();
  const f = useFormat();
  const [status, setStatus] = useState<WebhookDeliveryStatus | 'ALL'>('ALL');
  const { data, error } = useWebhookDeliveriesQuery({ endpointId, status: status === 'ALL' ? null : status, first: 50 });
  const [replay, rp] = useReplayWebhookDeliveryMutation();
  return (
    <Card>
      <div className="row spread">
        <h2>{t('webhooks.deliveries')}</h2>
        <Choice
          label={t('crm.status')}
          value={status}
          onChange={setStatus}
          items={DELIVERY.map((s) => ({ value: s, label: s === 'ALL' ? t('jobs.all') : t(keyOr('delivery', s, 'planStatus.unknown')) }))}
        />
      </div>
      <ApiErrorView error={error ?? rp.error} />
      <div className="table-wrap">
        <table className="table" data-testid="deliveries-table">
          <thead>
            <tr>
              <th>{t('webhooks.event')}</th>
              <th>{t('crm.status')}</th>
              <th className="hide-sm">{t('webhooks.lastAttempt')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(data?.webhookDeliveries ?? []).map((d) => (
              <tr key={d.id}>
                <td>
                  <code>{d.eventType}</code> <span className="muted">msg_{d.eventId}</span>
                </td>
                <td>
                  <Badge tone={d.status === 'SUCCEEDED' ? 'ok' : d.status === 'PENDING' ? 'info' : 'danger'}>
                    {t(keyOr('delivery', d.status, 'planStatus.unknown'))}
                  </Badge>{' '}
                  <span className="muted">{t('webhooks.attempts', { n: d.attempts })}</span>
                </td>
                <td className="hide-sm">
                  {d.lastAttemptAt ? f.dateTime(d.lastAttemptAt) : '—'}
                  {d.lastStatusCode != null && ` · HTTP ${d.lastStatusCode}`}
                  {d.lastLatencyMs != null && ` · ${d.lastLatencyMs} ms`}
                  {d.lastError && <div className="muted">{d.lastError}</div>}
                </td>
                <td>
                  {canManage && (
                    <Button size="sm" disabled={rp.isLoading} onClick={() => replay({ id: d.id })}>
                      {t('webhooks.replay')}
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

/** Shop orders and payments that came in but wait for a person (unknown SKU, no matching order). */
export function HeldInbound() {
  const t = useT();
  const f = useFormat();
  const { data, error } = useHeldInboundQuery();
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  return (
    <div className="stack">
      <Card>
        <h2>{t('webhooks.heldShopOrders')}</h2>
        <ul data-testid="held-shop-orders">
          {data.shopOrders.map((o) => (
            <li key={o.id}>
              {o.shop} {o.externalId} · {o.heldReason}
            </li>
          ))}
          {data.shopOrders.length === 0 && <li className="muted">{t('webhooks.nothingHeld')}</li>}
        </ul>
      </Card>
      <Card>
        <h2>{t('webhooks.heldPayments')}</h2>
        <ul data-testid="held-payments">
          {data.payments.map((p) => (
            <li key={p.id}>
              {p.provider} {p.reference} · {f.money({ minor: p.amountMinor, currency: p.currency })} · {f.dateTime(p.receivedAt)} · {p.heldReason}
            </li>
          ))}
          {data.payments.length === 0 && <li className="muted">{t('webhooks.nothingHeld')}</li>}
        </ul>
      </Card>
    </div>
  );
}
