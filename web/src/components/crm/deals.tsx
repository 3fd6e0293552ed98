'use client';
import { useState } from 'react';
import { useCreateDealMutation, useCustomersQuery, useDealsQuery, useMoveDealMutation, useWinDealMutation } from '@/lib/api/endpoints/crm';
import { Choice } from '@/components/ui/choice';
import type { DealStage } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';
import { CRM_PAGE, Pager, useCursors } from './pager';
import { toMinor } from '@/lib/finance';

export const DEAL_STAGES: DealStage[] = ['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'WON', 'LOST'];
const OPEN: DealStage[] = ['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION'];

/** The pipeline as a board: a column per stage, a card per deal with the moves it may make. */
export function Deals({ canWrite, currency }: { canWrite: boolean; currency: string | null }) {
  const t = useT();
  const f = useFormat();
  const pages = useCursors();
  const { data, error } = useDealsQuery({ first: CRM_PAGE, after: pages.after });
  const [move, mv] = useMoveDealMutation();
  const [win, wn] = useWinDealMutation();
  const deals = data?.deals.nodes ?? [];
  return (
    <div className="stack">
      {canWrite && currency && <NewDeal currency={currency} />}
      <ApiErrorView error={error ?? mv.error ?? wn.error} />
      <div className="board" data-testid="deal-board">
        {DEAL_STAGES.map((stage) => {
          const inStage = deals.filter((d) => d.stage === stage);
          const total = inStage.reduce((a, d) => a + d.value.minor, 0);
          return (
            <section key={stage} className="board-col" aria-label={t(`dealStage.${stage}`)} data-stage={stage}>
              <h3>
                {t(`dealStage.${stage}`)} <span className="muted">({inStage.length})</span>
              </h3>
              {inStage.length > 0 && currency && <p className="muted">{f.money({ minor: total, currency: inStage[0].value.currency })}</p>}
              {inStage.map((d) => {
                const i = OPEN.indexOf(d.stage);
                const next = i >= 0 && i < OPEN.length - 1 ? OPEN[i + 1] : null;
                return (
                  <article key={d.id} className="board-card" data-testid="deal-card">
                    <strong>{d.title}</strong>
                    <div className="muted">
                      {f.money(d.value)} · {d.probability} %{d.expectedCloseAt && ` · ${f.date(d.expectedCloseAt)}`}
                    </div>
                    {d.orderId && <div className="muted">{t('crm.wonWithOrder', { id: d.orderId })}</div>}
                    {d.lostReason && <div className="muted">{d.lostReason}</div>}
                    {canWrite && i >= 0 && (
                      <div className="row">
                        {next && (
                          <Button size="sm" disabled={mv.isLoading} onClick={() => move({ id: d.id, stage: next })}>
                            → {t(`dealStage.${next}`)}
                          </Button>
                        )}
                        <Button size="sm" variant="primary" disabled={wn.isLoading} onClick={() => win({ id: d.id })}>
                          {t('dealStage.WON')}
                        </Button>
                        <Button
                          size="sm"
                          variant="danger"
                          disabled={mv.isLoading}
                          onClick={() => move({ id: d.id, stage: 'LOST', reason: t('crm.lostByHand') })}
                        >
                          {t('dealStage.LOST')}
                        </Button>
                      </div>
                    )}
                  </article>
                );
              })}
            </section>
          );
        })}
      </div>
      <Pager pages={pages} pageInfo={data?.deals.pageInfo} />
    </div>
  );
}

function NewDeal({ currency }: { currency: string }) {
  const t = useT();
  const [create, state] = useCreateDealMutation();
  const [title, setTitle] = useState('');
  const [value, setValue] = useState('');
  // The first 500 customer records by id (the largest page the API gives).
  const customers = useCustomersQuery({ first: 500 }).data?.customers.nodes ?? [];
  const [picked, setCustomerId] = useState('');
  // A deal is with someone: a customer record (the first one until another is picked).
  const customerId = picked || customers[0]?.id || '';
  const minor = toMinor(value);
  const valid = title.trim() !== '' && minor !== null && minor >= 0 && customerId !== '';
  return (
    <form
      className="row"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!valid) return;
        const r = await create({
          input: { title: title.trim(), value: { minor: minor ?? 0, currency }, customerId },
        });
        if (!('error' in r)) {
          setTitle('');
          setValue('');
        }
      }}
    >
      <Field label={t('crm.newDeal')} id="deal-title">
        <Input id="deal-title" value={title} onChange={(e) => setTitle(e.target.value)} required />
      </Field>
      <Field label={t('finance.amountIn', { currency })} id="deal-value">
        <Input id="deal-value" inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} required />
      </Field>
      <Field label={t('crm.customer')} id="deal-customer">
        <Choice
          id="deal-customer"
          label={t('crm.customer')}
          value={customerId}
          onChange={setCustomerId}
          items={customers.map((c) => ({ value: c.id, label: c.company ? `${c.name} · ${c.company}` : c.name }))}
        />
      </Field>
      <Button type="submit" disabled={!valid || state.isLoading}>
        {t('crm.add')}
      </Button>
      <ApiErrorView error={state.error} />
    </form>
  );
}
