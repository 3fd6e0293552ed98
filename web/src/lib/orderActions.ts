import type { OrderStatus } from '@/lib/graphql/generated';

export type OrderAction = 'place' | 'pay' | 'startProduction' | 'markReady' | 'ship' | 'deliver' | 'cancel' | 'refund';

/** Which transition each action makes, and who may ask (any of the permissions), per the API. */
const RULES: Record<OrderAction, { from: OrderStatus[]; perms: string[] }> = {
  place: { from: ['DRAFT'], perms: ['orders:write', 'orders:place_own'] },
  pay: { from: ['PLACED'], perms: ['orders:write'] },
  startProduction: { from: ['PAID'], perms: ['production:plan'] },
  markReady: { from: ['IN_PRODUCTION'], perms: ['orders:write', 'production:operate'] },
  ship: { from: ['READY'], perms: ['orders:write', 'production:operate'] },
  deliver: { from: ['SHIPPED'], perms: ['orders:write', 'production:operate'] },
  cancel: { from: ['DRAFT', 'PLACED'], perms: ['orders:write', 'orders:place_own'] },
  refund: { from: ['PAID', 'IN_PRODUCTION', 'READY', 'SHIPPED', 'DELIVERED'], perms: ['orders:write'] },
};

/** The lifecycle actions a user with `permissions` can take on an order in `status`. */
export function orderActions(status: OrderStatus, permissions: readonly string[]): OrderAction[] {
  return (Object.keys(RULES) as OrderAction[]).filter(
    (a) => RULES[a].from.includes(status) && RULES[a].perms.some((p) => permissions.includes(p)),
  );
}
