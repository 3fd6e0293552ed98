'use client';
import { useState } from 'react';
import * as E from '@/lib/api/endpoints/equipment';
import type { PrinterDetailQuery } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { ApiErrorView } from './errors';

type Plan = PrinterDetailQuery['maintenancePlans'][number];

/** A printer's maintenance plans (every N days and/or print hours), a new one, and windows from them. */
export function MaintenancePlans({ printerId, plans, write }: { printerId: string; plans: Plan[]; write: boolean }) {
  const t = useT();
  const f = useFormat();
  const [create, cp] = E.useCreateMaintenancePlanMutation();
  const [generate, gw] = E.useGenerateMaintenanceWindowsMutation();
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [hours, setHours] = useState('');
  const [minutes, setMinutes] = useState('30');
  const num = (v: string) => (v.trim() ? Number.parseInt(v, 10) : null);
  return (
    <div className="stack">
      <h3>{t('maintenance.plans')}</h3>
      {plans.length === 0 ? (
        <p className="muted">{t('maintenance.noPlans')}</p>
      ) : (
        <ul data-testid="maintenance-plans">
          {plans.map((m) => (
            <li key={m.id}>
              {m.name}: {m.everyDays ? t('equipment.everyDays', { n: m.everyDays }) : ''}{' '}
              {m.everyPrintHours ? t('equipment.everyHours', { n: m.everyPrintHours }) : ''} · {t('quote.minutes', { n: m.durationMinutes })}
              {m.lastDoneAt && <span className="muted"> · {t('maintenance.lastDone', { at: f.date(m.lastDoneAt) })}</span>}
            </li>
          ))}
        </ul>
      )}
      {write && (
        <>
          <form
            className="row"
            style={{ alignItems: 'flex-end' }}
            onSubmit={(e) => {
              e.preventDefault();
              void create({
                input: { printerId, name, everyDays: num(days), everyPrintHours: num(hours), durationMinutes: num(minutes) ?? 30 },
              }).then((r) => {
                if ('data' in r) setName('');
              });
            }}
          >
            <Field label={t('maintenance.name')} id="mp-name">
              <Input id="mp-name" required value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field label={t('maintenance.everyDays')} id="mp-days">
              <Input id="mp-days" type="number" min={1} value={days} onChange={(e) => setDays(e.target.value)} />
            </Field>
            <Field label={t('maintenance.everyHours')} id="mp-hours">
              <Input id="mp-hours" type="number" min={1} value={hours} onChange={(e) => setHours(e.target.value)} />
            </Field>
            <Field label={t('equipment.minutes')} id="mp-minutes">
              <Input id="mp-minutes" type="number" min={1} required value={minutes} onChange={(e) => setMinutes(e.target.value)} />
            </Field>
            <Button type="submit" disabled={cp.isLoading} data-testid="maintenance-plan-add">
              {t('maintenance.add')}
            </Button>
          </form>
          <div className="row">
            <Button size="sm" disabled={gw.isLoading} onClick={() => void generate({ horizonDays: 30 })} data-testid="maintenance-generate">
              {t('maintenance.generate')}
            </Button>
            {gw.data && <span className="muted">{t('maintenance.generated', { n: gw.data.generateMaintenanceWindows.length })}</span>}
          </div>
          <ApiErrorView error={cp.error ?? gw.error} />
        </>
      )}
    </div>
  );
}
