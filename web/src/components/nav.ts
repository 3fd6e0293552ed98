import type { MessageKey } from '@/lib/i18n/messages';
import type { Session } from '@/lib/api/session';
import { can } from '@/lib/api/session';

export interface NavItem {
  href: string;
  label: MessageKey;
  /** The permission the screen needs (null: any signed-in user). */
  perm: string | null;
  area: 'console' | 'portal';
}

export const NAV: NavItem[] = [
  { href: '/console/', label: 'nav.overview', perm: 'equipment:read', area: 'console' },
  { href: '/console/printers/', label: 'nav.printers', perm: 'equipment:read', area: 'console' },
  { href: '/console/schedule/', label: 'nav.schedule', perm: 'production:read', area: 'console' },
  { href: '/console/planning/', label: 'nav.planning', perm: 'production:read', area: 'console' },
  { href: '/console/equipment/', label: 'nav.equipment', perm: 'equipment:read', area: 'console' },
  { href: '/console/profiles/', label: 'nav.profiles', perm: 'equipment:read', area: 'console' },
  { href: '/console/jobs/', label: 'nav.jobs', perm: 'production:read', area: 'console' },
  { href: '/console/orders/', label: 'nav.orders', perm: 'orders:read_all', area: 'console' },
  { href: '/console/inventory/', label: 'nav.inventory', perm: 'inventory:read', area: 'console' },
  { href: '/console/finance/', label: 'nav.finance', perm: 'finance:read', area: 'console' },
  { href: '/console/crm/', label: 'nav.crm', perm: 'crm:read', area: 'console' },
  { href: '/console/integrations/', label: 'nav.integrations', perm: 'webhooks:read', area: 'console' },
  { href: '/console/users/', label: 'nav.users', perm: 'users:admin', area: 'console' },
  { href: '/portal/', label: 'nav.quote', perm: 'orders:place_own', area: 'portal' },
  { href: '/portal/shop/', label: 'nav.shop', perm: 'orders:place_own', area: 'portal' },
  { href: '/portal/cart/', label: 'nav.cart', perm: 'orders:place_own', area: 'portal' },
  { href: '/portal/orders/', label: 'nav.myOrders', perm: 'orders:read_own', area: 'portal' },
  { href: '/portal/tickets/', label: 'nav.support', perm: 'tickets:own', area: 'portal' },
  { href: '/account/', label: 'nav.account', perm: null, area: 'portal' },
];

export const allowed = (s: Session | null, item: Pick<NavItem, 'perm'>): boolean =>
  !!s && (item.perm === null || can(s, item.perm));

export const isCustomer = (s: Session | null): boolean => s?.user.role === 'CUSTOMER';

/** Where a user lands after signing in (or when a page is not for them). */
export function homeOf(s: Session | null): string {
  if (!s) return '/login/';
  const items = NAV.filter((i) => allowed(s, i) && (isCustomer(s) ? i.area === 'portal' : i.area === 'console'));
  return items[0]?.href ?? '/account/';
}

/** The navigation a user sees: their area's screens their role allows. */
export function navFor(s: Session | null): NavItem[] {
  if (!s) return [];
  const area = isCustomer(s) ? 'portal' : 'console';
  const items = NAV.filter((i) => i.area === area && allowed(s, i));
  if (area === 'console') items.push({ ...NAV.find((i) => i.href === '/account/')! });
  return items;
}

/** Only same-site paths are followed after signing in (no `//host` or `https:`). */
export const safeNext = (n: string | null): string | null => (n && /^\/(?![/\\])/.test(n) ? n : null);
