import { describe, expect, it } from 'vitest';
import { orderActions } from '@/lib/orderActions';
import { homeOf, navFor, safeNext } from '@/components/nav';
import { dropTarget, hhmm, minuteOf, offShift, timeWindow, visibleRows, ROW_HEIGHT, xOf } from '@/lib/gantt';
import { modelExtension } from '@/lib/modelFile';
import type { Session } from '@/lib/api/session';
import { bpText, pnlTotals, toMinor } from '@/lib/finance';
import { monthOf } from '@/lib/download';

const as = (role: Session['user']['role'], permissions: string[]): Session => ({
  accessToken: 'a',
  refreshToken: 'r',
  expiresAt: '2030-01-01T00:00:00Z',
  user: { id: '1', email: 'x@y.z', displayName: 'X', role, customerId: role === 'CUSTOMER' ? '3' : null, permissions },
});
const planner = as('PLANNER', ['orders:read_all', 'production:read', 'production:plan', 'inventory:read', 'equipment:read']);
const customer = as('CUSTOMER', ['orders:read_own', 'orders:place_own', 'reviews:write']);
const accountant = as('ACCOUNTANT', ['orders:read_all', 'inventory:read', 'finance:read', 'crm:read']);

describe('order lifecycle actions', () => {
  it('follow the API lifecycle and the role', () => {
    expect(orderActions('DRAFT', customer.user.permissions)).toEqual(['place', 'cancel']);
    expect(orderActions('PLACED', customer.user.permissions)).toEqual(['cancel']);
    expect(orderActions('PAID', customer.user.permissions)).toEqual([]);
    expect(orderActions('PAID', planner.user.permissions)).toEqual(['startProduction']);
    expect(orderActions('PLACED', ['orders:write'])).toEqual(['pay', 'cancel']);
    expect(orderActions('DELIVERED', ['orders:write'])).toEqual(['refund']);
    expect(orderActions('CANCELLED', ['orders:write', 'production:plan'])).toEqual([]);
  });
});

describe('role-aware navigation', () => {
  it('sends each role to its own home', () => {
    expect(homeOf(null)).toBe('/login/');
    expect(homeOf(planner)).toBe('/console/');
    expect(homeOf(customer)).toBe('/portal/');
    expect(homeOf(accountant)).toBe('/console/orders/');
  });
  it('shows customers no staff screens', () => {
    const hrefs = navFor(customer).map((i) => i.href);
    expect(hrefs).toEqual(['/portal/', '/portal/shop/', '/portal/cart/', '/portal/orders/', '/account/']);
    expect(navFor(planner).map((i) => i.href)).toContain('/console/schedule/');
  });
  it('shows finance to accountants, CRM to sales, support to customers who may open tickets', () => {
    const sales = as('SALES', ['orders:read_all', 'orders:write', 'crm:read', 'crm:write']);
    expect(navFor(accountant).map((i) => i.href)).toContain('/console/finance/');
    expect(navFor(planner).map((i) => i.href)).not.toContain('/console/finance/');
    expect(navFor(sales).map((i) => i.href)).toContain('/console/crm/');
    expect(navFor(sales).map((i) => i.href)).not.toContain('/console/finance/');
    expect(navFor(sales).map((i) => i.href)).not.toContain('/console/integrations/');
    const ticketing = as('CUSTOMER', [...customer.user.permissions, 'tickets:own']);
    expect(navFor(ticketing).map((i) => i.href)).toContain('/portal/tickets/');
  });
  it('shows planning settings to whoever reads production, slicer profiles to whoever reads equipment', () => {
    expect(navFor(planner).map((i) => i.href)).toEqual(expect.arrayContaining(['/console/planning/', '/console/profiles/']));
    expect(navFor(accountant).map((i) => i.href)).not.toContain('/console/planning/');
    expect(navFor(accountant).map((i) => i.href)).not.toContain('/console/profiles/');
    expect(navFor(customer).map((i) => i.href)).not.toContain('/console/planning/');
  });
  it('follows only same-site paths after sign-in', () => {
    expect(safeNext('/console/printers/')).toBe('/console/printers/');
    expect(safeNext('//evil.example/')).toBeNull();
    expect(safeNext('/\\evil.example')).toBeNull();
    expect(safeNext('https://evil.example/')).toBeNull();
    expect(safeNext(null)).toBeNull();
  });
});

describe('schedule geometry', () => {
  it('draws only the visible rows of 100 printers', () => {
    expect(visibleRows(0, 480, 100)).toEqual([0, Math.ceil(480 / ROW_HEIGHT) + 4]);
    const [a, b] = visibleRows(50 * ROW_HEIGHT, 480, 100);
    expect(a).toBe(46);
    expect(b - a).toBeLessThan(30);
    expect(visibleRows(99 * ROW_HEIGHT, 480, 100)[1]).toBe(100);
  });
  it('spans from before now to the last job', () => {
    const now = Date.parse('2026-12-05T10:30:00Z');
    const w = timeWindow(now, [Date.parse('2026-12-09T00:00:00Z')], 'day');
    expect(w.start).toBe(Date.parse('2026-12-05T09:00:00Z'));
    expect(w.end).toBe(Date.parse('2026-12-09T01:00:00Z'));
    expect(xOf(w.start + 60 * 60_000, w, 'day')).toBe(90);
  });
});

describe('dragging a bar', () => {
  it('lands on the row under its middle, shifted by whole 5 minutes', () => {
    expect(dropTarget(2, 1, 2, 'day', 10)).toBeNull();
    // Day zoom: 1.5 px per minute, so 46 px is 30.7 minutes: 30 after snapping.
    expect(dropTarget(2, 46, 0, 'day', 10)).toEqual({ row: 2, minutes: 30 });
    expect(dropTarget(2, -46, ROW_HEIGHT, 'day', 10)).toEqual({ row: 3, minutes: -30 });
    expect(dropTarget(2, 0, ROW_HEIGHT / 2 - 1, 'day', 10)).toEqual({ row: 2, minutes: 0 });
    // Clamped to the rows there are.
    expect(dropTarget(0, 0, -5 * ROW_HEIGHT, 'week', 10)?.row).toBe(0);
    expect(dropTarget(9, 0, 5 * ROW_HEIGHT, 'week', 10)?.row).toBe(9);
    // Week zoom: 0.2 px per minute, 24 px is two hours.
    expect(dropTarget(1, 24, 0, 'week', 10)).toEqual({ row: 1, minutes: 120 });
  });
});

describe('model files', () => {
  it('accepts only STL, 3MF and OBJ', () => {
    expect(modelExtension('Bracket.STL')).toBe('stl');
    expect(modelExtension('part.3mf')).toBe('3mf');
    expect(modelExtension('a.obj')).toBe('obj');
    expect(modelExtension('photo.png')).toBeNull();
    expect(modelExtension('noext')).toBeNull();
  });
});

describe('order colours', () => {
  it('differ for neighbouring orders', async () => {
    const { colourOf } = await import('@/lib/gantt');
    const hues = ['16', '17', '18'].map((k) => Number(/hsl\((\d+)/.exec(colourOf(k))![1]));
    expect(Math.abs(hues[0] - hues[1])).toBeGreaterThan(40);
    expect(Math.abs(hues[1] - hues[2])).toBeGreaterThan(40);
  });
});

describe('finance figures', () => {
  const month = (period: string, currency: string, revenue: number, costs: number[], profit: number) => ({
    period,
    currency,
    revenue,
    costOfGoods: costs[0],
    materials: costs[1],
    machine: costs[2],
    scrap: costs[3],
    other: costs[4],
    profit,
  });
  it('totals one currency of a P&L', () => {
    const months = [
      month('2026-11', 'EUR', 10_000, [1_000, 2_000, 500, 100, 400], 6_000),
      month('2026-12', 'EUR', 5_000, [0, 1_000, 0, 0, 0], 4_000),
      month('2026-12', 'USD', 99_999, [1, 1, 1, 1, 1], 99_994),
    ];
    expect(pnlTotals(months, 'EUR')).toEqual({ revenue: 15_000, cost: 5_000, profit: 10_000 });
    expect(pnlTotals(months, 'GBP')).toEqual({ revenue: 0, cost: 0, profit: 0 });
  });
  it('shows margins in percent and months in UTC', () => {
    expect(bpText(1250)).toBe('12.5 %');
    expect(bpText(-300)).toBe('-3.0 %');
    expect(bpText(null)).toBe('—');
    expect(monthOf(new Date('2026-01-31T23:30:00Z'))).toBe('2026-01');
    expect(monthOf(new Date('2026-01-15T00:00:00Z'), 11)).toBe('2025-02');
    expect(monthOf(new Date('2026-12-01T00:00:00Z'), 12)).toBe('2025-12');
  });
});

describe('operator shifts on the schedule', () => {
  const H = 3_600_000;
  // 2026-12-07 is a Monday.
  const monday = Date.UTC(2026, 11, 7);
  it('shades the hours nobody is on shift, night shifts included', () => {
    const w = { start: monday, end: monday + 48 * H };
    // Monday 08:00–16:00 and a Monday night shift 22:00–06:00.
    const off = offShift([{ weekday: 0, startMinute: 480, endMinute: 960 }, { weekday: 0, startMinute: 1320, endMinute: 360 }], w);
    expect(off.map(([a, b]) => [(a - monday) / H, (b - monday) / H])).toEqual([
      [0, 8],
      [16, 22],
      [30, 48],
    ]);
  });
  it('shades nothing without shifts and everything on a day without one', () => {
    const w = { start: monday, end: monday + 24 * H };
    expect(offShift([], w)).toEqual([]);
    expect(offShift([{ weekday: 3, startMinute: 0, endMinute: 1440 }], w)).toEqual([[monday, monday + 24 * H]]);
  });
  it('reads and writes times of day', () => {
    expect(hhmm(0)).toBe('00:00');
    expect(hhmm(1440)).toBe('24:00');
    expect(minuteOf('8:30')).toBe(510);
    expect(minuteOf('24:00')).toBe(1440);
    expect(minuteOf('24:01')).toBeNull();
    expect(minuteOf('7:60')).toBeNull();
  });
});

describe('temperature chart', () => {
  it('scales readings into the box and skips missing ones', async () => {
    const { polyline } = await import('@/lib/gantt');
    const pts = [
      { t: 0, v: 0 },
      { t: 50, v: null },
      { t: 100, v: 200 },
    ];
    expect(polyline(pts, [0, 100], [0, 200], 100, 50)).toBe('0.0,50.0 100.0,0.0');
  });
});

describe('toMinor', () => {
  it('reads major units typed by a person as minor units', () => {
    expect(toMinor('12,50')).toBe(1250);
    expect(toMinor(' 0.1 ')).toBe(10);
    expect(toMinor('-3')).toBe(-300);
  });
  it('leaves blanks and non-numbers out', () => {
    expect(toMinor('')).toBeNull();
    expect(toMinor('  ')).toBeNull();
    expect(toMinor('ten')).toBeNull();
  });
});
