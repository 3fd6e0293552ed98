'use client';
import { useState, type FormEvent } from 'react';
import { useSetFilamentProfileMutation } from '@/lib/api/endpoints/profiles';
import type { ProfilesQuery } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Card } from '../ui/basics';
import { Button } from '../ui/button';
import { ApiErrorView } from '../errors';
import { SlicerConfigInput } from './slicer-config';

type Material = ProfilesQuery['materials'][number];
type Profile = ProfilesQuery['filamentProfiles'][number];

function FilamentForm({ material, profile, onDone }: { material: Material; profile?: Profile; onDone: () => void }) {
  const t = useT();
  const [save, state] = useSetFilamentProfileMutation();
  const [config, setConfig] = useState(profile?.slicerConfig ?? '');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await save({ materialId: material.id, slicerConfig: config });
    if (!('error' in r)) onDone();
  };
  return (
    <form className="stack" onSubmit={submit} data-testid="filament-form">
      <h3>{t('profiles.filamentOf', { code: material.code })}</h3>
      <SlicerConfigInput value={config} onChange={setConfig} invalid={!!state.error} />
      <ApiErrorView error={state.error} />
      <div className="row">
        <Button type="submit" variant="primary" disabled={state.isLoading} data-testid="filament-save">
          {t('profiles.save')}
        </Button>
        <Button onClick={onDone}>{t('planning.cancelEdit')}</Button>
      </div>
    </form>
  );
}

/** The PrusaSlicer filament profile of each material (set or replaced one at a time). */
export function FilamentProfiles({ data, canEdit }: { data: ProfilesQuery; canEdit: boolean }) {
  const t = useT();
  const f = useFormat();
  const [editing, setEditing] = useState<string | null>(null);
  const profiles = new Map(data.filamentProfiles.map((p) => [p.materialId, p]));
  const material = data.materials.find((m) => m.id === editing);
  return (
    <Card data-testid="filament-profiles">
      <h2>{t('profiles.filament')}</h2>
      <p className="muted">{t('profiles.filamentHint')}</p>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th>{t('inventory.material')}</th>
              <th>{t('profiles.profile')}</th>
              {canEdit && <th />}
            </tr>
          </thead>
          <tbody>
            {data.materials.map((m) => {
              const p = profiles.get(m.id);
              return (
                <tr key={m.id} data-testid="filament-row" data-material={m.code} data-profiled={!!p}>
                  <td>
                    <span className="swatch" style={{ background: m.colour }} aria-hidden />
                    {m.code} <span className="muted">{m.kind}</span>
                  </td>
                  <td>{p ? t('profiles.revisionAt', { n: p.revision, at: f.dateTime(p.updatedAt) }) : <span className="muted">{t('profiles.none')}</span>}</td>
                  {canEdit && (
                    <td>
                      <Button size="sm" onClick={() => setEditing(m.id)} data-testid="filament-edit">
                        {p ? t('planning.edit') : t('profiles.set')}
                      </Button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {canEdit && material && <FilamentForm key={material.id} material={material} profile={profiles.get(material.id)} onDone={() => setEditing(null)} />}
    </Card>
  );
}
