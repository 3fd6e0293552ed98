'use client';
import { useState, type FormEvent } from 'react';
import { useRetirePrinterMutation, useUpdatePrinterMutation } from '@/lib/api/endpoints/equipment';
import type { MaterialKind, PrinterDetailQuery } from '@/lib/graphql/generated';
import { useT } from '@/lib/i18n';
import { Alert, Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { ApiErrorView } from './errors';

const KINDS: Record<string, MaterialKind[]> = {
  FDM: ['PLA', 'PETG', 'ABS', 'ASA', 'TPU', 'PA', 'PC'],
  SLA: ['RESIN'],
  SLS: ['PA'],
};

type Printer = PrinterDetailQuery['printer'];

/** Edits a printer's record (name, model, group, volume, nozzle, materials, speed, hourly
 * cost) and retires it for good, after a confirmation. */
export function PrinterEdit({ p }: { p: Printer }) {
  const t = useT();
  const [update, up] = useUpdatePrinterMutation();
  const [retire, rt] = useRetirePrinterMutation();
  const [confirming, setConfirming] = useState(false);
  const [name, setName] = useState(p.name);
  const [model, setModel] = useState(p.model);
  const [group, setGroup] = useState(p.group ?? '');
  const [speed, setSpeed] = useState(String(p.speedFactorPct));
  const [nozzle, setNozzle] = useState(String(p.nozzleUm));
  const [cost, setCost] = useState(String(p.hourlyCost.minor));
  const [volume, setVolume] = useState([p.buildVolume.xMm, p.buildVolume.yMm, p.buildVolume.zMm].map(String));
  const [kinds, setKinds] = useState<MaterialKind[]>(p.materials);
  if (p.retiredAt) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const [x, y, z] = volume.map(Number);
    void update({
      id: p.id,
      input: {
        name,
        model,
        group,
        speedFactorPct: Number(speed),
        nozzleUm: Number(nozzle),
        hourlyCost: { minor: Number(cost), currency: p.hourlyCost.currency },
        buildVolume: { xMm: x, yMm: y, zMm: z },
        materials: kinds,
      },
    });
  };
  return (
    <Card data-testid="printer-edit">
      <h2>{t('equipment.edit')}</h2>
      <form className="stack" onSubmit={submit}>
        <div className="row" style={{ alignItems: 'flex-end' }}>
          <Field label={t('equipment.name')} id="pe-name">
            <Input id="pe-name" required value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label={t('equipment.model')} id="pe-model">
            <Input id="pe-model" required value={model} onChange={(e) => setModel(e.target.value)} />
          </Field>
          <Field label={t('equipment.group')} id="pe-group">
            <Input id="pe-group" value={group} maxLength={60} onChange={(e) => setGroup(e.target.value)} />
          </Field>
        </div>
        <div className="row" style={{ alignItems: 'flex-end' }}>
          {(['x', 'y', 'z'] as const).map((axis, i) => (
            <Field key={axis} label={t('equipment.axis', { axis })} id={`pe-${axis}`}>
              <Input
                id={`pe-${axis}`}
                type="number"
                min={1}
                value={volume[i]}
                onChange={(e) => setVolume(volume.map((v, k) => (k === i ? e.target.value : v)))}
              />
            </Field>
          ))}
          <Field label={t('equipment.nozzle')} id="pe-nozzle">
            <Input id="pe-nozzle" type="number" min={1} value={nozzle} onChange={(e) => setNozzle(e.target.value)} />
          </Field>
          <Field label={t('equipment.speed')} id="pe-speed">
            <Input id="pe-speed" type="number" min={1} value={speed} onChange={(e) => setSpeed(e.target.value)} />
          </Field>
          <Field label={t('equipment.hourlyMinor', { currency: p.hourlyCost.currency })} id="pe-cost">
            <Input id="pe-cost" type="number" min={0} value={cost} onChange={(e) => setCost(e.target.value)} />
          </Field>
        </div>
        <fieldset className="row" style={{ border: 0, padding: 0 }}>
          <legend className="muted">{t('equipment.materials')}</legend>
          {(KINDS[p.technology] ?? []).map((k) => (
            <label key={k} className="row" style={{ gap: 4 }}>
              <input type="checkbox" checked={kinds.includes(k)} onChange={(e) => setKinds(e.target.checked ? [...kinds, k] : kinds.filter((x) => x !== k))} />
              {k}
            </label>
          ))}
        </fieldset>
        <ApiErrorView error={up.error} />
        {up.isSuccess && !up.isLoading && <p className="muted">{t('equipment.saved')}</p>}
        <div className="row">
          <Button type="submit" variant="primary" disabled={up.isLoading} data-testid="printer-save">
            {t('equipment.save')}
          </Button>
          <span className="spacer" />
          {confirming ? (
            <>
              <span>{t('equipment.retireConfirm', { name: p.name })}</span>
              <Button variant="danger" onClick={() => void retire({ id: p.id })} disabled={rt.isLoading} data-testid="printer-retire-confirm">
                {t('equipment.retire')}
              </Button>
              <Button onClick={() => setConfirming(false)}>{t('common.no')}</Button>
            </>
          ) : (
            <Button variant="danger" onClick={() => setConfirming(true)} data-testid="printer-retire">
              {t('equipment.retire')}
            </Button>
          )}
        </div>
        <ApiErrorView error={rt.error} />
        {rt.data && (
          <Alert tone="info">
            {t('equipment.retired', { jobs: rt.data.retirePrinter.requeuedJobs, tokens: rt.data.retirePrinter.tokensRevoked })}
          </Alert>
        )}
      </form>
    </Card>
  );
}
