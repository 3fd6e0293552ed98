'use client';
import { useState, type FormEvent } from 'react';
import { useSetPlanningSettingsMutation } from '@/lib/api/endpoints/planning';
import type { PlanningSetupQuery } from '@/lib/graphql/generated';
import type { MessageKey } from '@/lib/i18n/messages';
import { useT } from '@/lib/i18n';
import { requiredInt } from '@/lib/planning';
import { Alert, Card, Field, Input } from '../ui/basics';
import { Button } from '../ui/button';
import { ApiErrorView } from '../errors';
import { invalidOf } from './circuits';

type Settings = PlanningSetupQuery['planningSettings'];
type Key = keyof Settings;

const FIELDS: { key: Key; label: MessageKey; hint: MessageKey }[] = [
  { key: 'freezeMinutes', label: 'planning.freeze', hint: 'planning.freezeHint' },
  { key: 'stabilityHorizonMinutes', label: 'planning.horizon', hint: 'planning.horizonHint' },
  { key: 'stabilityPenalty', label: 'planning.penalty', hint: 'planning.penaltyHint' },
  { key: 'stabilityToleranceMinutes', label: 'planning.tolerance', hint: 'planning.toleranceHint' },
];

/** The stability of re-plans: freeze window, horizon, penalty and tolerance, each explained. */
export function Stability({ settings, canEdit }: { settings: Settings; canEdit: boolean }) {
  const t = useT();
  const [save, state] = useSetPlanningSettingsMutation();
  const [values, setValues] = useState<Record<Key, string>>(() => ({
    freezeMinutes: String(settings.freezeMinutes),
    stabilityHorizonMinutes: String(settings.stabilityHorizonMinutes),
    stabilityPenalty: String(settings.stabilityPenalty),
    stabilityToleranceMinutes: String(settings.stabilityToleranceMinutes),
  }));
  const [bad, setBad] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = Object.fromEntries(FIELDS.map((f) => [f.key, requiredInt(values[f.key])])) as Record<Key, number | 'bad'>;
    if (Object.values(parsed).includes('bad')) {
      setBad(true);
      return;
    }
    setBad(false);
    void save({ input: parsed as Record<Key, number> });
  };
  const invalid = invalidOf(state.error);
  return (
    <Card data-testid="stability">
      <h2>{t('planning.stability')}</h2>
      <p className="muted">{t('planning.stabilityHint')}</p>
      <form className="stack" onSubmit={submit}>
        <div className="grid">
          {FIELDS.map((f) => (
            <Field key={f.key} label={t(f.label)} id={`st-${f.key}`} hint={t(f.hint)}>
              <Input
                id={`st-${f.key}`}
                inputMode="numeric"
                disabled={!canEdit}
                value={values[f.key]}
                aria-invalid={invalid === f.key}
                onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
              />
            </Field>
          ))}
        </div>
        {bad && <Alert>{t('planning.wholeNumbersAll')}</Alert>}
        <ApiErrorView error={state.error} />
        {canEdit && (
          <div className="row">
            <Button type="submit" variant="primary" disabled={state.isLoading} data-testid="stability-save">
              {t('planning.save')}
            </Button>
            {state.isSuccess && !state.isLoading && <span className="muted" data-testid="stability-saved">{t('planning.saved')}</span>}
          </div>
        )}
      </form>
    </Card>
  );
}
