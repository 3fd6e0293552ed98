'use client';
import { useState } from 'react';
import * as I from '@/lib/api/endpoints/inventory';
import type { MaterialFieldsFragment } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { Modal } from './ui/modal';
import { ApiErrorView } from './errors';
import { toMinor } from '@/lib/finance';

type Dialog = { kind: 'receive' } | { kind: 'adjust' | 'scrap'; spoolId: string; grams: number } | null;

/** Spools, movements and reservations of one material, with receive/adjust/scrap. */
export function Spools({ material, canWrite }: { material: MaterialFieldsFragment; canWrite: boolean }) {
  const t = useT();
  const f = useFormat();
  const { data, error } = I.useSpoolsQuery({ materialId: material.id });
  const [receive, r1] = I.useReceiveSpoolMutation();
  const [adjust, r2] = I.useAdjustSpoolMutation();
  const [scrap, r3] = I.useScrapSpoolMutation();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [grams, setGrams] = useState('1000');
  const [lot, setLot] = useState('');
  const [lotCost, setLotCost] = useState('');
  const [paidInCash, setPaidInCash] = useState(false);
  const currency = material.pricePerKg.currency;
  const [note, setNote] = useState('');
  const mutationError = r1.error ?? r2.error ?? r3.error;
  const open = (d: Dialog, g: number) => {
    setGrams(String(g));
    setNote('');
    setLot('');
    setLotCost('');
    setPaidInCash(false);
    setDialog(d);
  };
  const submit = () => {
    const g = Number.parseInt(grams, 10);
    if (!Number.isFinite(g)) return;
    if (dialog?.kind === 'receive') {
      const cost = toMinor(lotCost);
      void receive({
        materialId: material.id,
        grams: g,
        lot: lot || null,
        lotCost: cost === null ? null : { minor: cost, currency },
        paidInCash,
      });
    }
    if (dialog?.kind === 'adjust') void adjust({ spoolId: dialog.spoolId, countedGrams: g, note: note || null });
    if (dialog?.kind === 'scrap') void scrap({ spoolId: dialog.spoolId, grams: g, note: note || null });
    setDialog(null);
  };
  return (
    <Card data-testid="spools">
      <div className="row">
        <h2 style={{ margin: 0 }}>{t('inventory.spoolsOf', { code: material.code })}</h2>
        <span className="spacer" />
        {canWrite && (
          <Button variant="primary" size="sm" onClick={() => open({ kind: 'receive' }, 1000)} data-testid="receive-spool">
            {t('inventory.receive')}
          </Button>
        )}
      </div>
      <ApiErrorView error={error ?? mutationError} />
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th>{t('inventory.spool')}</th>
              <th>{t('inventory.remaining')}</th>
              <th className="hide-sm">{t('inventory.lot')}</th>
              <th className="hide-sm">{t('inventory.received')}</th>
              {canWrite && <th />}
            </tr>
          </thead>
          <tbody>
            {(data?.spools ?? []).map((s) => (
              <tr key={s.id} data-testid="spool-row">
                <td>#{s.id}</td>
                <td>
                  {f.number(s.remainingGrams)} / {f.number(s.initialGrams)} g
                </td>
                <td className="hide-sm">{s.lot ?? '—'}</td>
                <td className="hide-sm">{f.date(s.createdAt)}</td>
                {canWrite && (
                  <td>
                    <div className="row">
                      <Button size="sm" onClick={() => open({ kind: 'adjust', spoolId: s.id, grams: s.remainingGrams }, s.remainingGrams)}>
                        {t('inventory.adjust')}
                      </Button>
                      <Button size="sm" variant="danger" onClick={() => open({ kind: 'scrap', spoolId: s.id, grams: s.remainingGrams }, s.remainingGrams)}>
                        {t('inventory.scrap')}
                      </Button>
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t('inventory.movements')}</h3>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th>{t('inventory.when')}</th>
              <th>{t('inventory.kind')}</th>
              <th>{t('inventory.grams')}</th>
              <th className="hide-sm">{t('inventory.note')}</th>
            </tr>
          </thead>
          <tbody>
            {[...(data?.stockMovements.nodes ?? [])].reverse().map((m) => (
              <tr key={m.id}>
                <td>{f.dateTime(m.createdAt)}</td>
                <td>{t(`movement.${m.kind}`)}</td>
                <td>{f.number(m.grams)}</td>
                <td className="hide-sm">{m.note ?? m.jobKey ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t('inventory.reservations')}</h3>
      {(data?.reservations ?? []).length === 0 ? (
        <p className="muted">{t('inventory.noReservations')}</p>
      ) : (
        <ul>
          {data?.reservations.map((r) => (
            <li key={r.id}>
              {r.jobKey}: {f.number(r.grams)} g
            </li>
          ))}
        </ul>
      )}
      <Modal
        open={dialog !== null}
        onOpenChange={(o) => !o && setDialog(null)}
        title={dialog ? t(`inventory.${dialog.kind}Title`, { code: material.code }) : ''}
      >
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <Field label={t(dialog?.kind === 'adjust' ? 'inventory.counted' : 'inventory.grams')} id="spool-grams">
            <Input id="spool-grams" type="number" min={1} required value={grams} onChange={(e) => setGrams(e.target.value)} />
          </Field>
          {dialog?.kind === 'receive' ? (
            <>
              <Field label={t('inventory.lot')} id="spool-lot">
                <Input id="spool-lot" value={lot} onChange={(e) => setLot(e.target.value)} />
              </Field>
              <Field label={t('inventory.lotCost', { currency })} id="spool-lot-cost">
                <Input id="spool-lot-cost" inputMode="decimal" value={lotCost} onChange={(e) => setLotCost(e.target.value)} />
              </Field>
              <label className="row">
                <input type="checkbox" checked={paidInCash} onChange={(e) => setPaidInCash(e.target.checked)} data-testid="spool-paid" />{' '}
                {t('inventory.lotPaidInCash')}
              </label>
            </>
          ) : (
            <Field label={t('inventory.note')} id="spool-note">
              <Input id="spool-note" value={note} onChange={(e) => setNote(e.target.value)} />
            </Field>
          )}
          <div className="row">
            <Button type="submit" variant="primary" data-testid="spool-submit">
              {t('common.confirm')}
            </Button>
            <Button onClick={() => setDialog(null)}>{t('common.close')}</Button>
          </div>
        </form>
      </Modal>
    </Card>
  );
}
