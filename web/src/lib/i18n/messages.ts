import { en } from './en';
import { ru } from './ru';

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];
export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

export const MESSAGES: Record<Locale, Messages> = { en, ru };

export type Params = Record<string, string | number>;

/** The message of `key` in `locale` with `{name}` placeholders filled in. */
export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const text = MESSAGES[locale][key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** A dynamic key (enum value, error code) when it is known, else the fallback key. */
export function keyOr(prefix: string, value: string, fallback: MessageKey): MessageKey {
  const k = `${prefix}.${value}`;
  return (k in en ? k : fallback) as MessageKey;
}
