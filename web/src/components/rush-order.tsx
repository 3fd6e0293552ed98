'use client';
import { useState } from 'react';
import { useRushOptionsQuery } from '@/lib/api/endpoints/planning';
import { useFormat, useT } from '@/lib/i18n';
import type { ScenarioForm } from '@/lib/planning';
import { Field, Input } from './ui/basics';
import { Choice } from './ui/choice';
import { ApiErrorView } from './errors';

/**
 * The rush-order part of the what-if form: a stored model (a product's, or any upload), the
 * material (a product's default material is picked with it), copies and the due date.
 */
export function RushOrderFields({ form, set }: { form: ScenarioForm; set: (patch: Partial<ScenarioForm>) => void }) {
  const t = useT();
  const f = useFormat();
  const { data, error } = useRushOptionsQuery();
  // Where the model comes from (`p:` a product, `m:` an upload); the form keeps only its id.
  const [choice, setChoice] = useState('');
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  const products = data.products.nodes.filter((p) => p.modelId);
  const items = [
    { value: '', label: t('whatIf.rushNone') },
    ...products.map((p) => ({ value: `p:${p.id}`, label: t('whatIf.product', { name: p.name }) })),
    ...data.models.map((m) => ({ value: `m:${m.id}`, label: t('whatIf.upload', { name: m.fileName, size: m.analysis.sizeMm.map((x) => f.number(x, 0)).join('×') }) })),
  ];
  const pick = (v: string) => {
    setChoice(v);
    if (!v) return set({ model: '' });
    const [kind, id] = v.split(':');
    if (kind === 'p') {
      const p = products.find((x) => x.id === id);
      return set({ model: p?.modelId ?? '', material: form.material || (p?.defaultMaterialId ?? '') });
    }
    set({ model: id });
  };
  return (
    <div className="stack" data-testid="rush-order">
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <div className="field">
          <span className="muted">{t('whatIf.rush')}</span>
          <Choice label={t('whatIf.rush')} value={choice} onChange={pick} items={items} />
        </div>
        {form.model && (
          <>
            <div className="field">
              <span className="muted">{t('whatIf.rushMaterial')}</span>
              <Choice
                label={t('whatIf.rushMaterial')}
                value={form.material}
                onChange={(material) => set({ material })}
                items={[{ value: '', label: '—' }, ...data.materials.map((m) => ({ value: m.id, label: `${m.code} (${m.kind}, ${m.colour})` }))]}
              />
            </div>
            <Field label={t('whatIf.rushQuantity')} id="wi-qty">
              <Input id="wi-qty" type="number" min={1} max={10000} value={form.quantity} onChange={(e) => set({ quantity: e.target.value })} />
            </Field>
            <Field label={t('whatIf.rushDue')} id="wi-due">
              <Input id="wi-due" type="datetime-local" value={form.due} onChange={(e) => set({ due: e.target.value })} />
            </Field>
          </>
        )}
      </div>
      {items.length === 1 && <p className="muted">{t('whatIf.noModels')}</p>}
    </div>
  );
}
