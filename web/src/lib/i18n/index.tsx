'use client';
import { useCallback, useMemo } from 'react';
import { useAppSelector } from '@/lib/hooks';
import type { ApiError } from '@/lib/api/errors';
import { keyOr, translate, type Locale, type MessageKey, type Params } from './messages';

export type T = (key: MessageKey, params?: Params) => string;

export function useLocale(): Locale {
  return useAppSelector((s) => s.ui.locale);
}

export function useT(): T {
  const locale = useLocale();
  // Re-render when the locale's dictionary arrives (English meanwhile).
  const loaded = useAppSelector((s) => s.ui.loadedLocales.includes(s.ui.locale));
  // And when a message pack arrives.
  const packs = useAppSelector((s) => s.ui.loadedPacks.length);
  return useCallback(
    (key: MessageKey, params?: Params) => translate(loaded ? locale : 'en', key, params),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [locale, loaded, packs],
  );
}

/** A translated message for an API error: the specific reason when known, else its code. */
export function errorText(t: T, e: ApiError): string {
  const reason = keyOr('reason', e.reason, keyOr('error', e.code, 'error.INTERNAL'));
  return t(reason);
}

const tag = (l: Locale) => (l === 'ru' ? 'ru-RU' : 'en-GB');

export function useFormat() {
  const locale = useLocale();
  return useMemo(() => makeFormat(locale), [locale]);
}

function makeFormat(locale: Locale) {
  return {
    money: (m: { minor: number; currency: string } | null | undefined) =>
      m ? new Intl.NumberFormat(tag(locale), { style: 'currency', currency: m.currency }).format(m.minor / 100) : '—',
    date: (iso: string | null | undefined) =>
      iso ? new Intl.DateTimeFormat(tag(locale), { dateStyle: 'medium' }).format(new Date(iso)) : '—',
    dateTime: (iso: string | null | undefined) =>
      iso
        ? new Intl.DateTimeFormat(tag(locale), { dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso))
        : '—',
    number: (n: number, digits = 0) =>
      new Intl.NumberFormat(tag(locale), { maximumFractionDigits: digits }).format(n),
  };
}
