'use client';
import { useState, type FormEvent } from 'react';
import { useDeletePowerCircuitMutation, useSetPowerCircuitMutation } from '@/lib/api/endpoints/planning';
import type { PlanningSetupQuery } from '@/lib/graphql/generated';
import { asApiError } from '@/lib/api/errors';
import { useT } from '@/lib/i18n';
import { fieldOf, optionalInt } from '@/lib/planning';
import { Alert, Card, Field, Input } from '../ui/basics';
import { Button } from '../ui/button';
import { ApiErrorView } from '../errors';

type Setup = PlanningSetupQuery;
type Circuit = Setup['powerCircuits'][number];

/** The input a refusal names (`aria-invalid` on it). */
export const invalidOf = (error: unknown) => fieldOf(asApiError(error)?.message);

/** Add (no `circuit`) or change a power circuit: name, limit, heat-up rule and its printers. */
function CircuitForm({ circuit, setup, onDone }: { circuit?: Circuit; setup: Setup; onDone: () => void }) {
  const t = useT();
  const [save, state] = useSetPowerCircuitMutation();
  const [name, setName] = useState(circuit?.name ?? '');
  const [limit, setLimit] = useState(circuit?.limitWatts?.toString() ?? '');
  const [heatups, setHeatups] = useState(circuit?.maxHeatups?.toString() ?? '');
  const [span, setSpan] = useState(circuit?.heatupWindowMinutes?.toString() ?? '');
  const [members, setMembers] = useState<string[]>(circuit?.printerIds ?? []);
  const [bad, setBad] = useState(false);
  const idp = circuit ? `pc-${circuit.id}` : 'pc-new';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const [l, k, m] = [optionalInt(limit), optionalInt(heatups), optionalInt(span)];
    if (l === 'bad' || k === 'bad' || m === 'bad') {
      setBad(true);
      return;
    }
    setBad(false);
    const r = await save({ id: circuit?.id ?? null, input: { name, limitWatts: l, maxHeatups: k, heatupWindowMinutes: m, printerIds: members } });
    if (!('error' in r)) onDone();
  };
  const invalid = invalidOf(state.error);
  const elsewhere = new Map(setup.powerCircuits.filter((c) => c.id !== circuit?.id).flatMap((c) => c.printerIds.map((p) => [p, c.name] as const)));
  return (
    <form className="stack" onSubmit={submit} data-testid="circuit-form">
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <Field label={t('planning.circuitName')} id={`${idp}-name`} hint={t('planning.nameHint')}>
          <Input id={`${idp}-name`} value={name} maxLength={100} aria-invalid={invalid === 'name'} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={t('planning.limitWatts')} id={`${idp}-limit`} hint={t('planning.optional')}>
          <Input id={`${idp}-limit`} inputMode="numeric" value={limit} aria-invalid={invalid === 'limitWatts'} onChange={(e) => setLimit(e.target.value)} />
        </Field>
        <Field label={t('planning.maxHeatups')} id={`${idp}-heatups`} hint={t('planning.optional')}>
          <Input id={`${idp}-heatups`} inputMode="numeric" value={heatups} aria-invalid={invalid === 'maxHeatups'} onChange={(e) => setHeatups(e.target.value)} />
        </Field>
        <Field label={t('planning.heatupWindow')} id={`${idp}-window`} hint={t('planning.optional')}>
          <Input id={`${idp}-window`} inputMode="numeric" value={span} aria-invalid={invalid === 'heatupWindowMinutes'} onChange={(e) => setSpan(e.target.value)} />
        </Field>
      </div>
      <fieldset className="row" style={{ border: 0, padding: 0 }} data-invalid={invalid === 'printerIds'}>
        <legend className="muted">{t('planning.circuitPrinters')}</legend>
        {setup.printers.map((p) => (
          <label key={p.id} className="row" style={{ gap: 4 }}>
            <input type="checkbox" checked={members.includes(p.id)} onChange={(e) => setMembers(e.target.checked ? [...members, p.id] : members.filter((x) => x !== p.id))} />
            {p.name} <span className="muted">({p.model}{elsewhere.has(p.id) ? `, ${t('planning.onCircuit', { name: elsewhere.get(p.id) ?? '' })}` : ''})</span>
          </label>
        ))}
      </fieldset>
      {bad && <Alert>{t('planning.wholeNumbers')}</Alert>}
      <ApiErrorView error={state.error} />
      <div className="row">
        <Button type="submit" variant="primary" disabled={state.isLoading} data-testid="circuit-save">
          {circuit ? t('planning.save') : t('planning.addCircuit')}
        </Button>
        {circuit && <Button onClick={onDone}>{t('planning.cancelEdit')}</Button>}
      </div>
    </form>
  );
}

/** Power circuits: what each allows, which printers are on it; add, edit, delete. */
export function Circuits({ setup, canEdit }: { setup: Setup; canEdit: boolean }) {
  const t = useT();
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  // Bumped after an add, so the empty form starts afresh.
  const [fresh, setFresh] = useState(0);
  const [remove, removeState] = useDeletePowerCircuitMutation();
  const names = new Map(setup.printers.map((p) => [p.id, p.name]));
  const rule = (c: Circuit) =>
    c.maxHeatups != null && c.heatupWindowMinutes != null ? t('planning.heatupRule', { k: c.maxHeatups, m: c.heatupWindowMinutes }) : '—';
  return (
    <Card data-testid="circuits">
      <h2>{t('planning.circuits')}</h2>
      <p className="muted">{t('planning.circuitsHint')}</p>
      {setup.powerCircuits.length === 0 ? (
        <p className="muted">{t('planning.noCircuits')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t('planning.circuitName')}</th>
                <th>{t('planning.limitWatts')}</th>
                <th>{t('planning.heatups')}</th>
                <th>{t('planning.circuitPrinters')}</th>
                {canEdit && <th />}
              </tr>
            </thead>
            <tbody>
              {setup.powerCircuits.map((c) => (
                <tr key={c.id} data-testid="circuit-row" data-name={c.name}>
                  <td>{c.name}</td>
                  <td>{c.limitWatts != null ? t('planning.watts', { n: c.limitWatts }) : t('planning.noLimit')}</td>
                  <td>{rule(c)}</td>
                  <td>{c.printerIds.map((p) => names.get(p) ?? `#${p}`).join(', ') || '—'}</td>
                  {canEdit && (
                    <td>
                      <div className="row">
                        <Button size="sm" onClick={() => setEditing(c.id)} data-testid="circuit-edit">
                          {t('planning.edit')}
                        </Button>
                        {deleting === c.id ? (
                          <>
                            <span>{t('planning.deleteConfirm', { name: c.name })}</span>
                            <Button size="sm" variant="danger" disabled={removeState.isLoading} onClick={() => void remove({ id: c.id }).then(() => setDeleting(null))} data-testid="circuit-delete-confirm">
                              {t('planning.delete')}
                            </Button>
                            <Button size="sm" onClick={() => setDeleting(null)}>
                              {t('common.no')}
                            </Button>
                          </>
                        ) : (
                          <Button size="sm" variant="danger" onClick={() => setDeleting(c.id)} data-testid="circuit-delete">
                            {t('planning.delete')}
                          </Button>
                        )}
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ApiErrorView error={removeState.error} />
      {canEdit &&
        (editing && setup.powerCircuits.some((c) => c.id === editing) ? (
          <>
            <h3>{t('planning.editCircuit', { name: setup.powerCircuits.find((c) => c.id === editing)?.name ?? '' })}</h3>
            <CircuitForm key={editing} circuit={setup.powerCircuits.find((c) => c.id === editing)} setup={setup} onDone={() => setEditing(null)} />
          </>
        ) : (
          <>
            <h3>{t('planning.addCircuit')}</h3>
            <CircuitForm key={`new-${fresh}`} setup={setup} onDone={() => setFresh(fresh + 1)} />
          </>
        ))}
    </Card>
  );
}
