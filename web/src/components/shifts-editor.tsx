'use client';
import { useState, type FormEvent } from 'react';
import { useSetOperatorShiftsMutation } from '@/lib/api/endpoints/farm';
import { hhmm, minuteOf, type Shift } from '@/lib/gantt';
import { useT } from '@/lib/i18n';
import { keyOr } from '@/lib/i18n/messages';
import { Alert, Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { Choice } from './ui/choice';
import { ApiErrorView } from './errors';

interface Draft {
  key: number;
  weekday: string;
  start: string;
  end: string;
}

const WEEKDAYS = ['0', '1', '2', '3', '4', '5', '6'];
let nextKey = 0;
const draftOf = (s: Shift): Draft => ({ key: nextKey++, weekday: String(s.weekday), start: hhmm(s.startMinute), end: hhmm(s.endMinute) });

/** The farm's weekly operator shifts (UTC), edited as a whole and saved at once; the server
 * checks them (no overlaps) and re-plans. */
export function ShiftsEditor({ shifts }: { shifts: Shift[] }) {
  const t = useT();
  const [save, state] = useSetOperatorShiftsMutation();
  const [rows, setRows] = useState<Draft[]>(() => shifts.map(draftOf));
  const [bad, setBad] = useState(false);
  const set = (key: number, patch: Partial<Draft>) => setRows(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = rows.map((r) => ({ weekday: Number(r.weekday), startMinute: minuteOf(r.start), endMinute: minuteOf(r.end) }));
    if (parsed.some((p) => p.startMinute === null || p.endMinute === null)) {
      setBad(true);
      return;
    }
    setBad(false);
    void save({ shifts: parsed.map((p) => ({ weekday: p.weekday, startMinute: p.startMinute ?? 0, endMinute: p.endMinute ?? 0 })) });
  };
  return (
    <Card data-testid="shifts">
      <h2>{t('shifts.title')}</h2>
      <p className="muted">{t('shifts.hint')}</p>
      <form className="stack" onSubmit={submit}>
        {rows.length === 0 && <p className="muted">{t('shifts.none')}</p>}
        {rows.map((r) => (
          <div key={r.key} className="row" style={{ alignItems: 'flex-end' }} data-testid="shift-row">
            <div className="field">
              <span className="muted">{t('shifts.weekday')}</span>
              <Choice label={t('shifts.weekday')} value={r.weekday} onChange={(v) => set(r.key, { weekday: v })} items={WEEKDAYS.map((d) => ({ value: d, label: t(keyOr('weekday', d, 'weekday.0')) }))} />
            </div>
            <Field label={t('shifts.start')} id={`shift-start-${r.key}`}>
              <Input id={`shift-start-${r.key}`} value={r.start} inputMode="numeric" placeholder="08:00" onChange={(e) => set(r.key, { start: e.target.value })} />
            </Field>
            <Field label={t('shifts.end')} id={`shift-end-${r.key}`}>
              <Input id={`shift-end-${r.key}`} value={r.end} inputMode="numeric" placeholder="16:00" onChange={(e) => set(r.key, { end: e.target.value })} />
            </Field>
            <Button size="sm" variant="danger" onClick={() => setRows(rows.filter((x) => x.key !== r.key))}>
              {t('shifts.remove')}
            </Button>
          </div>
        ))}
        <div className="row">
          <Button onClick={() => setRows([...rows, draftOf({ weekday: 0, startMinute: 480, endMinute: 960 })])} data-testid="shift-add">
            {t('shifts.add')}
          </Button>
          <Button type="submit" variant="primary" disabled={state.isLoading} data-testid="shift-save">
            {t('shifts.save')}
          </Button>
          {state.isSuccess && !state.isLoading && <span className="muted">{t('shifts.saved')}</span>}
        </div>
        {bad && <Alert>{t('shifts.badTime')}</Alert>}
        <ApiErrorView error={state.error} />
      </form>
    </Card>
  );
}
