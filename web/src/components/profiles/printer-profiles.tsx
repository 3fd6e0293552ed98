'use client';
import { useState, type FormEvent } from 'react';
import { useSetPrinterProfileMutation } from '@/lib/api/endpoints/profiles';
import type { MaterialKind, ProfilesQuery } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { requiredInt } from '@/lib/planning';
import { Alert, Card, Field, Input } from '../ui/basics';
import { Button } from '../ui/button';
import { ApiErrorView } from '../errors';
import { invalidOf } from '../planning/circuits';
import { SlicerConfigInput } from './slicer-config';

type Profile = ProfilesQuery['printerProfiles'][number];
const KINDS: MaterialKind[] = ['PLA', 'PETG', 'ABS', 'ASA', 'TPU', 'PA', 'PC', 'RESIN'];

/** Create or replace the profile of a printer model (an existing one of that model is replaced). */
type Printer = ProfilesQuery['printers'][number];

function PrinterProfileForm({ profile, models, printers, onDone }: { profile?: Profile; models: string[]; printers: Printer[]; onDone: () => void }) {
  const t = useT();
  const [save, state] = useSetPrinterProfileMutation();
  // A new profile starts from a printer of the model (its volume, nozzle and materials).
  const first = (m: string) => printers.find((p) => p.model === m);
  const seed = profile ?? first(models[0] ?? '');
  const [model, setModel] = useState(profile?.printerModel ?? models[0] ?? '');
  const [x, setX] = useState(String(seed?.buildVolume.xMm ?? 250));
  const [y, setY] = useState(String(seed?.buildVolume.yMm ?? 210));
  const [z, setZ] = useState(String(seed?.buildVolume.zMm ?? 220));
  const [nozzle, setNozzle] = useState(String(seed?.nozzleUm ?? 400));
  const [kinds, setKinds] = useState<MaterialKind[]>(seed?.materials ?? ['PLA', 'PETG']);
  const pickModel = (m: string) => {
    setModel(m);
    const p = profile ? undefined : first(m);
    if (!p) return;
    setX(String(p.buildVolume.xMm));
    setY(String(p.buildVolume.yMm));
    setZ(String(p.buildVolume.zMm));
    setNozzle(String(p.nozzleUm));
    setKinds(p.materials);
  };
  const [config, setConfig] = useState(profile?.slicerConfig ?? '');
  const [bad, setBad] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const [xm, ym, zm, n] = [requiredInt(x), requiredInt(y), requiredInt(z), requiredInt(nozzle)];
    if (xm === 'bad' || ym === 'bad' || zm === 'bad' || n === 'bad') {
      setBad(true);
      return;
    }
    setBad(false);
    const r = await save({ input: { printerModel: model, buildVolume: { xMm: xm, yMm: ym, zMm: zm }, nozzleUm: n, materials: kinds, slicerConfig: config } });
    if (!('error' in r)) onDone();
  };
  const invalid = invalidOf(state.error);
  return (
    <form className="stack" onSubmit={submit} data-testid="printer-profile-form">
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <Field label={t('profiles.printerModel')} id="pp-model" hint={t('profiles.printerModelHint')}>
          <Input id="pp-model" list="pp-models" required value={model} aria-invalid={invalid === 'printerModel'} onChange={(e) => pickModel(e.target.value)} />
        </Field>
        <datalist id="pp-models">
          {models.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
        {(
          [
            ['x', x, setX],
            ['y', y, setY],
            ['z', z, setZ],
          ] as const
        ).map(([axis, v, setV]) => (
          <Field key={axis} label={t('profiles.axis', { axis: axis.toUpperCase() })} id={`pp-${axis}`}>
            <Input id={`pp-${axis}`} inputMode="numeric" value={v} aria-invalid={invalid === 'buildVolume'} onChange={(e) => setV(e.target.value)} />
          </Field>
        ))}
        <Field label={t('profiles.nozzle')} id="pp-nozzle">
          <Input id="pp-nozzle" inputMode="numeric" value={nozzle} aria-invalid={invalid === 'nozzleUm'} onChange={(e) => setNozzle(e.target.value)} />
        </Field>
      </div>
      <fieldset className="row" style={{ border: 0, padding: 0 }}>
        <legend className="muted">{t('profiles.kinds')}</legend>
        {KINDS.map((k) => (
          <label key={k} className="row" style={{ gap: 4 }}>
            <input type="checkbox" checked={kinds.includes(k)} onChange={(e) => setKinds(e.target.checked ? [...kinds, k] : kinds.filter((c) => c !== k))} />
            {k}
          </label>
        ))}
      </fieldset>
      <SlicerConfigInput value={config} onChange={setConfig} invalid={invalid === 'slicerConfig'} />
      {bad && <Alert>{t('planning.wholeNumbersAll')}</Alert>}
      <ApiErrorView error={state.error} />
      <div className="row">
        <Button type="submit" variant="primary" disabled={state.isLoading} data-testid="printer-profile-save">
          {t('profiles.save')}
        </Button>
        {profile && <Button onClick={onDone}>{t('planning.cancelEdit')}</Button>}
      </div>
    </form>
  );
}

/** Every printer profile (one per printer model) and the form to set one. */
export function PrinterProfiles({ data, canEdit }: { data: ProfilesQuery; canEdit: boolean }) {
  const t = useT();
  const f = useFormat();
  const [editing, setEditing] = useState<string | null>(null);
  const [fresh, setFresh] = useState(0);
  const models = [...new Set(data.printers.map((p) => p.model))].sort();
  const unprofiled = models.filter((m) => !data.printerProfiles.some((p) => p.printerModel === m));
  const current = data.printerProfiles.find((p) => p.id === editing);
  return (
    <Card data-testid="printer-profiles">
      <h2>{t('profiles.printer')}</h2>
      <p className="muted">{t('profiles.printerHint')}</p>
      {data.printerProfiles.length === 0 ? (
        <p className="muted">{t('profiles.noPrinterProfiles')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t('profiles.printerModel')}</th>
                <th>{t('profiles.volume')}</th>
                <th>{t('profiles.nozzle')}</th>
                <th className="hide-sm">{t('profiles.kinds')}</th>
                <th className="hide-sm">{t('profiles.revision')}</th>
                {canEdit && <th />}
              </tr>
            </thead>
            <tbody>
              {data.printerProfiles.map((p) => (
                <tr key={p.id} data-testid="printer-profile-row" data-model={p.printerModel}>
                  <td>{p.printerModel}</td>
                  <td>
                    {p.buildVolume.xMm} × {p.buildVolume.yMm} × {p.buildVolume.zMm} mm
                  </td>
                  <td>{p.nozzleUm} µm</td>
                  <td className="hide-sm">{p.materials.join(', ')}</td>
                  <td className="hide-sm">{t('profiles.revisionAt', { n: p.revision, at: f.dateTime(p.updatedAt) })}</td>
                  {canEdit && (
                    <td>
                      <Button size="sm" onClick={() => setEditing(p.id)}>
                        {t('planning.edit')}
                      </Button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {unprofiled.length > 0 && <p className="muted">{t('profiles.unprofiled', { models: unprofiled.join(', ') })}</p>}
      {canEdit && (
        <>
          <h3>{current ? t('profiles.editPrinter', { model: current.printerModel }) : t('profiles.setPrinter')}</h3>
          {current ? (
            <PrinterProfileForm key={current.id} profile={current} models={models} printers={data.printers} onDone={() => setEditing(null)} />
          ) : (
            <PrinterProfileForm key={`new-${fresh}`} models={unprofiled.length > 0 ? unprofiled : models} printers={data.printers} onDone={() => setFresh(fresh + 1)} />
          )}
        </>
      )}
    </Card>
  );
}
