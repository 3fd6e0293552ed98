import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { en as enCore } from '@/lib/i18n/en';
import { ru as ruCore } from '@/lib/i18n/ru';
import { enStaff } from '@/lib/i18n/en-staff';
import { ruStaff } from '@/lib/i18n/ru-staff';

// The core dictionary and the staff pack together: every key once, in both languages.
const en: Record<string, string> = { ...enCore, ...enStaff };
const ru: Record<string, string> = { ...ruCore, ...ruStaff };
import { translate, keyOr, registerMessages } from '@/lib/i18n/messages';
import { ERROR_CODES } from '@/lib/api/errors';

const schema = readFileSync(path.resolve(__dirname, '../../docs/schema.graphql'), 'utf8');
const enumValues = (name: string): string[] => {
  const m = schema.match(new RegExp(`enum ${name} \\{([^}]*)\\}`));
  if (!m) throw new Error(`enum ${name} not in the schema`);
  return m[1]
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[A-Z_]+$/.test(l));
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

describe('translations', () => {
  it('the staff pack and the core dictionary share no key', () => {
    for (const k of Object.keys(enStaff)) expect(enCore, k).not.toHaveProperty([k]);
  });

  it('ru has exactly the keys of en, none empty', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(ru)) expect(v.trim(), k).not.toBe('');
    for (const [k, v] of Object.entries(en)) expect(v.trim(), k).not.toBe('');
  });

  it('placeholders agree between locales', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(en)) expect(names(ru[k]), k).toEqual(names(en[k]));
  });

  it('every enum value of the schema shown in the UI has a message', () => {
    const prefixes: Record<string, string> = {
      PrinterStatus: 'printerStatus',
      OrderStatus: 'orderStatus',
      JobState: 'jobState',
      Role: 'role',
      MovementKind: 'movement',
      WindowState: 'windowState',
      LeadStatus: 'leadStatus',
      LeadSource: 'leadSource',
      DealStage: 'dealStage',
      TicketStatus: 'ticketStatus',
      TicketPriority: 'ticketPriority',
      ActivityKind: 'activity',
      AddressKind: 'addressKind',
      ShipmentStatus: 'shipmentStatus',
      MarginDimension: 'marginBy',
      WebhookDeliveryStatus: 'delivery',
    };
    for (const [e, prefix] of Object.entries(prefixes)) {
      for (const v of enumValues(e)) expect(en, `${prefix}.${v}`).toHaveProperty([`${prefix}.${v}`]);
    }
  });

  it('every error code has a message', () => {
    for (const c of ERROR_CODES) expect(en).toHaveProperty([`error.${c}`]);
  });

  it('every literal key used in the sources exists', () => {
    const used = new Set<string>();
    for (const f of sources(path.resolve(__dirname, '../src'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z]+\.[a-zA-Z_.]+)'/g)) used.add(m[1]);
      for (const m of text.matchAll(/label: '([a-z]+\.[a-zA-Z]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    for (const k of used) expect(en, k).toHaveProperty([k]);
  });

  it('fills placeholders and falls back for unknown dynamic keys', () => {
    expect(translate('ru', 'orders.title', { id: 7 })).toBe('Order #7'); // not loaded yet: English
    registerMessages('ru', { ...ruCore, ...ruStaff });
    expect(translate('ru', 'printers.count', { n: 3, total: 12 })).toBe('3 из 12');
    expect(translate('en', 'orders.title', { id: 7 })).toBe('Order #7');
    expect(keyOr('reason', 'NO_SUCH_REASON', 'error.INTERNAL')).toBe('error.INTERNAL');
    expect(keyOr('reason', 'QUOTE_EXPIRED', 'error.INTERNAL')).toBe('reason.QUOTE_EXPIRED');
  });
});
