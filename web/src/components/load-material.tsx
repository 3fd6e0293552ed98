'use client';
import { useState } from 'react';
import * as E from '@/lib/api/endpoints/equipment';
import { quotableMaterials, useQuoteMaterialsQuery } from '@/lib/api/endpoints/quote';
import { useT } from '@/lib/i18n';
import { Button } from './ui/button';
import { Choice } from './ui/choice';
import { ApiErrorView } from './errors';

const NONE = 'none';

/** Loads a material the printer can print (or unloads it); the scheduler re-plans around it. */
export function LoadMaterial({ printerId, kinds, loaded }: { printerId: string; kinds: string[]; loaded: string | null }) {
  const t = useT();
  const materials = useQuoteMaterialsQuery();
  const [load, lm] = E.useLoadMaterialMutation();
  const [choice, setChoice] = useState<string>(loaded ?? NONE);
  const items = [
    { value: NONE, label: t('loadMaterial.none') },
    ...quotableMaterials(materials.data)
      .filter((m) => kinds.includes(m.kind))
      .map((m) => ({ value: m.id, label: `${m.code} · ${m.colour}` })),
  ];
  return (
    <div className="row">
      <Choice label={t('loadMaterial.label')} value={choice} onChange={setChoice} items={items} />
      <Button
        size="sm"
        disabled={lm.isLoading || choice === (loaded ?? NONE)}
        onClick={() => void load({ printerId, materialId: choice === NONE ? null : choice })}
        data-testid="load-material"
      >
        {t('loadMaterial.submit')}
      </Button>
      <ApiErrorView error={lm.error ?? materials.error} />
    </div>
  );
}
