'use client';
import { useState, type FormEvent } from 'react';
import { useSetPrinterModelPowerMutation } from '@/lib/api/endpoints/planning';
import type { PlanningSetupQuery } from '@/lib/graphql/generated';
import { useT } from '@/lib/i18n';
import { requiredInt } from '@/lib/planning';
import { Alert, Card, Field, Input } from '../ui/basics';
import { Button } from '../ui/button';
import { ApiErrorView } from '../errors';
import { invalidOf } from './circuits';

type Power = PlanningSetupQuery['printerModelPower'][number];

/** One printer model's draw: heat-up watts for the first minutes of a print, then printing watts. */
function ModelPowerRow({ model, power, canEdit, printers }: { model: string; power?: Power; canEdit: boolean; printers: number }) {
  const t = useT();
  const [save, state] = useSetPrinterModelPowerMutation();
  const [heatW, setHeatW] = useState(power?.heatupWatts.toString() ?? '');
  const [heatMin, setHeatMin] = useState(power?.heatupMinutes.toString() ?? '');
  const [printW, setPrintW] = useState(power?.printingWatts.toString() ?? '');
  const [bad, setBad] = useState(false);
  const idp = `mp-${model.replace(/[^A-Za-z0-9]/g, '_')}`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const [a, b, c] = [requiredInt(heatW), requiredInt(heatMin), requiredInt(printW)];
    if (a === 'bad' || b === 'bad' || c === 'bad') {
      setBad(true);
      return;
    }
    setBad(false);
    void save({ input: { model, heatupWatts: a, heatupMinutes: b, printingWatts: c } });
  };
  const invalid = invalidOf(state.error);
  return (
    <form className="stack model-power" onSubmit={submit} data-testid="model-power" data-model={model}>
      <h3>
        {model} <span className="muted">{t('planning.printersOfModel', { n: printers })}</span>
        {!power && <span className="muted"> · {t('planning.noDraw')}</span>}
      </h3>
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <Field label={t('planning.heatupWatts')} id={`${idp}-hw`}>
          <Input id={`${idp}-hw`} inputMode="numeric" disabled={!canEdit} value={heatW} aria-invalid={invalid === 'heatupWatts'} onChange={(e) => setHeatW(e.target.value)} />
        </Field>
        <Field label={t('planning.heatupMinutes')} id={`${idp}-hm`}>
          <Input id={`${idp}-hm`} inputMode="numeric" disabled={!canEdit} value={heatMin} aria-invalid={invalid === 'heatupMinutes'} onChange={(e) => setHeatMin(e.target.value)} />
        </Field>
        <Field label={t('planning.printingWatts')} id={`${idp}-pw`}>
          <Input id={`${idp}-pw`} inputMode="numeric" disabled={!canEdit} value={printW} aria-invalid={invalid === 'printingWatts'} onChange={(e) => setPrintW(e.target.value)} />
        </Field>
        {canEdit && (
          <Button type="submit" variant="primary" disabled={state.isLoading} data-testid="model-power-save">
            {t('planning.save')}
          </Button>
        )}
        {state.isSuccess && !state.isLoading && <span className="muted">{t('planning.saved')}</span>}
      </div>
      {bad && <Alert>{t('planning.wholeNumbersAll')}</Alert>}
      <ApiErrorView error={state.error} />
    </form>
  );
}

/** The draw of every printer model of the farm (and of models with a draw but no printer now). */
export function ModelPower({ setup, canEdit }: { setup: PlanningSetupQuery; canEdit: boolean }) {
  const t = useT();
  const count = new Map<string, number>();
  for (const p of setup.printers) count.set(p.model, (count.get(p.model) ?? 0) + 1);
  const models = [...new Set([...count.keys(), ...setup.printerModelPower.map((m) => m.model)])].sort();
  const power = new Map(setup.printerModelPower.map((m) => [m.model, m]));
  return (
    <Card data-testid="model-powers">
      <h2>{t('planning.modelPower')}</h2>
      <p className="muted">{t('planning.modelPowerHint')}</p>
      {models.map((m) => (
        <ModelPowerRow key={m} model={m} power={power.get(m)} canEdit={canEdit} printers={count.get(m) ?? 0} />
      ))}
    </Card>
  );
}
