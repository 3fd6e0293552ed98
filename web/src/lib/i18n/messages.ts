import { en } from './en';

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];
export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

/** Loaded dictionaries: English is built in (and the fallback); others load on first use. */
const MESSAGES: Partial<Record<Locale, Messages>> = { en };

export function registerMessages(locale: Locale, messages: Messages): void {
  MESSAGES[locale] = messages;
}

/** Loads a locale's dictionary (a separate chunk, so pages do not carry both languages). */
export async function loadMessages(locale: Locale): Promise<void> {
  if (MESSAGES[locale]) return;
  if (locale === 'ru') registerMessages('ru', (await import('./ru')).ru);
}

export type Params = Record<string, string | number>;

/** The message of `key` in `locale` with `{name}` placeholders filled in. */
export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const text = MESSAGES[locale]?.[key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** A dynamic key (enum value, error code) when it is known, else the fallback key. */
export function keyOr(prefix: string, value: string, fallback: MessageKey): MessageKey {
  const k = `${prefix}.${value}`;
  return (k in en ? k : fallback) as MessageKey;
}
