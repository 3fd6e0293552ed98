'use client';
import { useState } from 'react';
import { Page } from '@/components/shell';
import { useCatalogQuery } from '@/lib/api/endpoints/shop';
import { useFormat, useT } from '@/lib/i18n';
import { Card, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Choice } from '@/components/ui/choice';
import { ApiErrorView } from '@/components/errors';
import { ProductPanel } from '@/components/product-panel';

function Shop() {
  const t = useT();
  const f = useFormat();
  const { data, error } = useCatalogQuery();
  const [category, setCategory] = useState('all');
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  const q = search.trim().toLowerCase();
  const shown = data.products.nodes.filter(
    (p) =>
      (category === 'all' || p.categoryId === category) &&
      (!q || p.name.toLowerCase().includes(q) || p.description.toLowerCase().includes(q) || p.sku.toLowerCase().includes(q)),
  );
  return (
    <div className="stack">
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <div className="field">
          <span className="muted">{t('shop.category')}</span>
          <Choice
            label={t('shop.category')}
            value={category}
            onChange={setCategory}
            items={[{ value: 'all', label: t('shop.allCategories') }, ...data.categories.map((c) => ({ value: c.id, label: c.name }))]}
          />
        </div>
        <Field label={t('shop.search')} id="shop-search">
          <Input id="shop-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </Field>
      </div>
      {selected && <ProductPanel id={selected} />}
      <div className="grid">
        {shown.map((p) => (
          <Card key={p.id} data-testid="product-card">
            <h3 style={{ margin: 0 }}>{p.name}</h3>
            <p className="muted" style={{ margin: '4px 0' }}>
              {p.description}
            </p>
            <div className="row">
              <strong>{f.money(p.price)}</strong>
              {p.rating.count > 0 && <span className="muted">★ {f.number(p.rating.average ?? 0, 1)}</span>}
              <span className="spacer" />
              <Button size="sm" onClick={() => setSelected(p.id)} aria-pressed={selected === p.id}>
                {t('shop.details')}
              </Button>
            </div>
          </Card>
        ))}
      </div>
    </div>
  );
}

export default function ShopPage() {
  const t = useT();
  return (
    <Page perm="orders:place_own" area="portal">
      <h1>{t('nav.shop')}</h1>
      <Shop />
    </Page>
  );
}
