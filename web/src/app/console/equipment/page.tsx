'use client';
import { useState, type FormEvent } from 'react';
import { Page } from '@/components/shell';
import { usePrintersQuery } from '@/lib/api/endpoints/farm';
import { useCreatePrinterMutation } from '@/lib/api/endpoints/equipment';
import type { MaterialKind } from '@/lib/graphql/generated';
import { useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { Card, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Choice } from '@/components/ui/choice';
import { ApiErrorView } from '@/components/errors';
import { PrinterAdmin } from '@/components/printer-admin';

const KINDS: MaterialKind[] = ['PLA', 'PETG', 'ABS', 'ASA', 'TPU', 'PA', 'PC', 'RESIN'];

function NewPrinter() {
  const t = useT();
  const [create, { error, isLoading, data }] = useCreatePrinterMutation();
  const [name, setName] = useState('');
  const [model, setModel] = useState('');
  const [size, setSize] = useState('250');
  const [kinds, setKinds] = useState<MaterialKind[]>(['PLA', 'PETG']);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const mm = Number(size) || 250;
    void create({
      input: {
        name,
        model,
        technology: 'FDM',
        buildVolume: { xMm: mm, yMm: mm, zMm: mm },
        materials: kinds,
        hourlyCost: { minor: 150, currency: 'EUR' },
      },
    });
  };
  return (
    <Card>
      <h2>{t('equipment.add')}</h2>
      <form className="stack" onSubmit={submit}>
        <div className="row" style={{ alignItems: 'flex-end' }}>
          <Field label={t('equipment.name')} id="np-name">
            <Input id="np-name" required value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label={t('equipment.model')} id="np-model">
            <Input id="np-model" required value={model} onChange={(e) => setModel(e.target.value)} />
          </Field>
          <Field label={t('equipment.size')} id="np-size">
            <Input id="np-size" type="number" min={10} value={size} onChange={(e) => setSize(e.target.value)} />
          </Field>
        </div>
        <fieldset className="row" style={{ border: 0, padding: 0 }}>
          <legend className="muted">{t('equipment.materials')}</legend>
          {KINDS.map((k) => (
            <label key={k} className="row" style={{ gap: 4 }}>
              <input
                type="checkbox"
                checked={kinds.includes(k)}
                onChange={(e) => setKinds(e.target.checked ? [...kinds, k] : kinds.filter((x) => x !== k))}
              />
              {k}
            </label>
          ))}
        </fieldset>
        <p className="muted">{t('equipment.addNote')}</p>
        <ApiErrorView error={error} />
        {data && <p>{t('equipment.added', { name: data.createPrinter.name })}</p>}
        <Button type="submit" variant="primary" disabled={isLoading}>
          {t('equipment.add')}
        </Button>
      </form>
    </Card>
  );
}

function Equipment() {
  const t = useT();
  const s = useSession();
  const { data, error } = usePrintersQuery();
  const [id, setId] = useState('');
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  const selected = id || data.printers[0]?.id || '';
  return (
    <div className="stack">
      <div className="field" style={{ maxWidth: 320 }}>
        <span className="muted">{t('equipment.printer')}</span>
        <Choice label={t('equipment.printer')} value={selected} onChange={setId} items={data.printers.map((p) => ({ value: p.id, label: `${p.name} (${p.model})` }))} />
      </div>
      {selected && <PrinterAdmin id={selected} />}
      {can(s, 'equipment:write') && <NewPrinter />}
    </div>
  );
}

export default function EquipmentPage() {
  const t = useT();
  return (
    <Page perm="equipment:read" area="console" pack="staff">
      <h1>{t('nav.equipment')}</h1>
      <Equipment />
    </Page>
  );
}
