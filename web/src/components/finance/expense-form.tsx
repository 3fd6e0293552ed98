'use client';
import { useState } from 'react';
import { useRecordExpenseMutation } from '@/lib/api/endpoints/finance';
import { useT } from '@/lib/i18n';
import { Alert, Card, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';
import { toMinor } from '@/lib/finance';

/** Records a manual expense (an entry against cash or payables); amounts typed in major units. */
export function ExpenseForm({ currency }: { currency: string }) {
  const t = useT();
  const [record, state] = useRecordExpenseMutation();
  const [category, setCategory] = useState('');
  const [description, setDescription] = useState('');
  const [amount, setAmount] = useState('');
  const [paidInCash, setPaidInCash] = useState(true);
  const [receiptRef, setReceiptRef] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const minor = toMinor(amount);
  const valid = category.trim() !== '' && description.trim() !== '' && minor !== null && minor > 0;
  return (
    <Card>
      <h2>{t('finance.expense')}</h2>
      <form
        className="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!valid) return;
          const r = await record({
            input: {
              category: category.trim(),
              description: description.trim(),
              amount: { minor: minor ?? 0, currency },
              paidInCash,
              receiptRef: receiptRef.trim() || null,
            },
            receipt: file ?? undefined,
          });
          if (!('error' in r)) {
            setDescription('');
            setAmount('');
            setReceiptRef('');
          }
        }}
      >
        <div className="row">
          <Field label={t('finance.category')} id="exp-category">
            <Input id="exp-category" value={category} onChange={(e) => setCategory(e.target.value)} list="exp-categories" required />
          </Field>
          <datalist id="exp-categories">
            {['rent', 'energy', 'maintenance', 'shipping', 'software', 'other'].map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
          <Field label={t('finance.description')} id="exp-description">
            <Input id="exp-description" value={description} onChange={(e) => setDescription(e.target.value)} required />
          </Field>
          <Field label={t('finance.amountIn', { currency })} id="exp-amount">
            <Input id="exp-amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} required />
          </Field>
          <Field label={t('finance.receiptFile')} id="exp-file">
            <Input id="exp-file" type="file" accept="image/*,application/pdf" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </Field>
          {!file && (
            <Field label={t('finance.receipt')} id="exp-receipt">
              <Input id="exp-receipt" value={receiptRef} onChange={(e) => setReceiptRef(e.target.value)} />
            </Field>
          )}
          <label className="row">
            <input type="checkbox" checked={paidInCash} onChange={(e) => setPaidInCash(e.target.checked)} /> {t('finance.paidInCash')}
          </label>
        </div>
        <div className="row">
          <Button type="submit" variant="primary" disabled={!valid || state.isLoading}>
            {t('finance.record')}
          </Button>
        </div>
        {state.isSuccess && <Alert tone="info">{t('finance.recorded')}</Alert>}
        <ApiErrorView error={state.error} />
      </form>
    </Card>
  );
}
