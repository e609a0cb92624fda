import type { RouteShipmentPorts } from '../../functions/lib/app/route-shipment-changes.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import type { NotificationPublisher } from '../../functions/lib/domain/notification-ports.ts';
import type { CustomerProfiles } from '../../functions/lib/domain/ports.ts';
import type { NotificationCounts } from '../../functions/lib/domain/warehouse.ts';
import { orderWindows } from './orders.ts';
import { stallTimers } from './stalls.ts';

/** Warehouse counts in memory, as DynamoNotificationCounts keeps them in the table. */
export class MemoryCounts implements NotificationCounts {
  readonly totals = new Map<string, number>();
  async counted(warehouseId: string, day: string) {
    return this.totals.get(`${warehouseId} ${day}`) ?? 0;
  }
  async add(warehouseId: string, day: string, count: number) {
    const key = `${warehouseId} ${day}`;
    this.totals.set(key, (this.totals.get(key) ?? 0) + count);
    return this.totals.get(key) as number;
  }
}

/**
 * The stream router's ports around `publisher`, for tests about publishing: counts in memory, a
 * cap no test reaches unless it sets one, suppressions recorded in `suppressed`, customer profiles
 * kept in `profiles` unless the test gives its own, stall timers in memory (support/stalls.ts) unless it gives its own.
 */
export function routerPorts(
  publisher: NotificationPublisher,
  options: {
    caps?: Record<string, number>;
    counts?: NotificationCounts;
    now?: Date;
    profiles?: CustomerProfiles;
    stalls?: RouteShipmentPorts['stalls'];
    orders?: RouteShipmentPorts['orders'];
  } = {},
): RouteShipmentPorts & { suppressed: { message: NotificationMessage; reason: string }[] } {
  const suppressed: { message: NotificationMessage; reason: string }[] = [];
  return {
    publisher,
    counts: options.counts ?? new MemoryCounts(),
    capOf: async (warehouseId) => options.caps?.[warehouseId] ?? 1_000_000,
    suppressions: { suppress: async (message, reason) => void suppressed.push({ message, reason }) },
    clock: () => options.now ?? new Date(),
    profiles: options.profiles ?? { remember: async () => undefined },
    stalls: options.stalls ?? stallTimers(),
    orders: options.orders ?? orderWindows().ports,
    suppressed,
  };
}
