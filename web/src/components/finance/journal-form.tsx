'use client';
import { useState } from 'react';
import { useLedgerAccountsQuery, usePostJournalEntryMutation } from '@/lib/api/endpoints/finance';
import { useT } from '@/lib/i18n';
import { Alert, Card, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';
import { toMinor } from '@/lib/finance';

type Line = { account: string; debit: string; credit: string };

const empty = (): Line => ({ account: '', debit: '', credit: '' });

/**
 * A manual journal entry (e.g. paying a supplier: Dr payables, Cr cash). The server checks it
 * (balanced, one currency, accounts a person may post to) and refuses it whole with its code.
 */
export function JournalForm({ currency }: { currency: string }) {
  const t = useT();
  const accounts = useLedgerAccountsQuery({});
  const [post, state] = usePostJournalEntryMutation();
  const [memo, setMemo] = useState('');
  const [lines, setLines] = useState<Line[]>([empty(), empty()]);
  const set = (i: number, patch: Partial<Line>) => setLines((ls) => ls.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const debits = lines.reduce((s, l) => s + (toMinor(l.debit) ?? 0), 0);
  const credits = lines.reduce((s, l) => s + (toMinor(l.credit) ?? 0), 0);
  return (
    <Card data-testid="journal-form">
      <h2>{t('finance.journal')}</h2>
      <p className="muted">{t('finance.journalHint')}</p>
      <form
        className="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          const money = (v: string) => {
            const minor = toMinor(v);
            return minor === null ? null : { minor, currency };
          };
          const r = await post({
            input: {
              memo: memo.trim(),
              lines: lines
                .filter((l) => l.account !== '')
                .map((l) => ({ account: l.account, debit: money(l.debit), credit: money(l.credit) })),
            },
          });
          if (!('error' in r)) {
            setMemo('');
            setLines([empty(), empty()]);
          }
        }}
      >
        <Field label={t('finance.memo')} id="je-memo">
          <Input id="je-memo" value={memo} onChange={(e) => setMemo(e.target.value)} required />
        </Field>
        {lines.map((l, i) => (
          <div className="row" key={i} data-testid="journal-line">
            <Field label={t('finance.account')} id={`je-account-${i}`}>
              <select id={`je-account-${i}`} value={l.account} onChange={(e) => set(i, { account: e.target.value })}>
                <option value="">—</option>
                {(accounts.data?.ledgerAccounts ?? []).map((a) => (
                  <option key={a.code} value={a.code}>
                    {a.code} {a.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('finance.debitIn', { currency })} id={`je-debit-${i}`}>
              <Input id={`je-debit-${i}`} inputMode="decimal" value={l.debit} onChange={(e) => set(i, { debit: e.target.value })} />
            </Field>
            <Field label={t('finance.creditIn', { currency })} id={`je-credit-${i}`}>
              <Input id={`je-credit-${i}`} inputMode="decimal" value={l.credit} onChange={(e) => set(i, { credit: e.target.value })} />
            </Field>
          </div>
        ))}
        <div className="row">
          <Button onClick={() => setLines((ls) => [...ls, empty()])}>{t('finance.addLine')}</Button>
          <span className="muted" data-testid="journal-totals">
            {t('finance.journalTotals', { debits: (debits / 100).toFixed(2), credits: (credits / 100).toFixed(2) })}
          </span>
          <span className="spacer" />
          <Button type="submit" variant="primary" disabled={state.isLoading} data-testid="journal-post">
            {t('finance.post')}
          </Button>
        </div>
        {state.isSuccess && <Alert tone="info">{t('finance.posted', { id: state.data?.postJournalEntry.id ?? '' })}</Alert>}
        <ApiErrorView error={state.error} />
      </form>
    </Card>
  );
}
