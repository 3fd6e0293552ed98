'use client';
import { useState } from 'react';
import { Page } from '@/components/shell';
import { useInventoryQuery } from '@/lib/api/endpoints/inventory';
import { useFormat, useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { Badge, Card } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';
import { Spools } from '@/components/spools';

function Inventory() {
  const t = useT();
  const f = useFormat();
  const s = useSession();
  const { data, error, isLoading } = useInventoryQuery();
  const [selected, setSelected] = useState<string | null>(null);
  if (error) return <ApiErrorView error={error} />;
  if (isLoading || !data) return <p className="muted">{t('common.loading')}</p>;
  const levels = new Map(data.stockLevels.map((l) => [l.materialId, l]));
  const material = data.materials.find((m) => m.id === selected);
  return (
    <div className="stack">
      <Card>
        <div className="table-wrap">
          <table className="table" data-testid="stock-table">
            <thead>
              <tr>
                <th>{t('inventory.material')}</th>
                <th>{t('inventory.onHand')}</th>
                <th>{t('inventory.reserved')}</th>
                <th>{t('inventory.available')}</th>
                <th className="hide-sm">{t('inventory.price')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.materials.map((m) => {
                const l = levels.get(m.id);
                return (
                  <tr key={m.id} data-testid="stock-row" data-material={m.code}>
                    <td>
                      <span className="swatch" style={{ background: m.colour }} aria-hidden />
                      <strong>{m.code}</strong> <span className="muted">{m.kind} · {m.colour}</span>{' '}
                      {l?.low && <Badge tone="warn">{t('inventory.low')}</Badge>}
                    </td>
                    <td data-testid="on-hand">{f.number(l?.onHand ?? 0)} g</td>
                    <td>{f.number(l?.reserved ?? 0)} g</td>
                    <td>{f.number(l?.available ?? 0)} g</td>
                    <td className="hide-sm">{t('inventory.perKg', { price: f.money(m.pricePerKg) })}</td>
                    <td>
                      <Button size="sm" onClick={() => setSelected(m.id)} aria-pressed={selected === m.id}>
                        {t('inventory.spools')}
                      </Button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Card>
      {material && <Spools material={material} canWrite={can(s, 'inventory:write')} />}
    </div>
  );
}

export default function InventoryPage() {
  const t = useT();
  return (
    <Page perm="inventory:read" area="console" pack="staff">
      <h1>{t('nav.inventory')}</h1>
      <Inventory />
    </Page>
  );
}
