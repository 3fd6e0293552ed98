import { en } from './en';
import type { enStaff } from './en-staff';

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];
/** Every message key: the core dictionary's and the staff pack's (loaded with staff pages). */
export type MessageKey = keyof typeof en | keyof typeof enStaff;
export type Messages = Record<keyof typeof en, string>;
type Loaded = Partial<Record<MessageKey, string>>;

/** Loaded dictionaries: English is built in (and the fallback); others load on first use. */
const MESSAGES: Partial<Record<Locale, Loaded>> = { en };

export function registerMessages(locale: Locale, messages: Loaded): void {
  MESSAGES[locale] = { ...MESSAGES[locale], ...messages };
}

/** Extra dictionaries that only some pages need, loaded with them. */
export type Pack = 'staff';
const loadedPacks = new Set<string>();

/** Loads a pack's English (the fallback) and, for another locale, that locale's messages. */
export async function loadPack(pack: Pack, locale: Locale): Promise<void> {
  if (!loadedPacks.has(`${pack}:en`)) {
    registerMessages('en', (await import('./en-staff')).enStaff);
    loadedPacks.add(`${pack}:en`);
  }
  if (locale === 'ru' && !loadedPacks.has(`${pack}:ru`)) {
    await loadMessages('ru');
    registerMessages('ru', (await import('./ru-staff')).ruStaff);
    loadedPacks.add(`${pack}:ru`);
  }
}

/** Loads a locale's dictionary (a separate chunk, so pages do not carry both languages). */
export async function loadMessages(locale: Locale): Promise<void> {
  if (MESSAGES[locale]) return;
  if (locale === 'ru') registerMessages('ru', { ...(await import('./ru')).ru, ...MESSAGES.ru });
}

export type Params = Record<string, string | number>;

/** The message of `key` in `locale` with `{name}` placeholders filled in. */
export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const text = MESSAGES[locale]?.[key] ?? MESSAGES.en?.[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** A dynamic key (enum value, error code) when it is known, else the fallback key. */
export function keyOr(prefix: string, value: string, fallback: MessageKey): MessageKey {
  const k = `${prefix}.${value}`;
  return (MESSAGES.en && k in MESSAGES.en ? k : fallback) as MessageKey;
}
