import type { RouteShipmentPorts } from '../../functions/lib/app/route-shipment-changes.ts';
import type { OrderWindows } from '../../functions/lib/domain/ports.ts';

/** Order counts and windows in memory, with the conditions DynamoOrderWindows writes with. */
export class MemoryOrderWindows implements OrderWindows {
  readonly orders = new Map<string, Set<string>>();
  readonly windows = new Map<string, { members: Set<string>; closedAt?: string }>();
  async addShipment(owner: string, orderId: string, shipmentId: string) {
    const key = JSON.stringify([owner, orderId]);
    const ids = this.orders.get(key) ?? new Set<string>();
    ids.add(shipmentId);
    this.orders.set(key, ids);
    return ids.size;
  }
  async shipmentCount(owner: string, orderId: string) {
    return this.orders.get(JSON.stringify([owner, orderId]))?.size ?? 0;
  }
  async join(owner: string, orderId: string, status: string, shipmentId: string) {
    const key = JSON.stringify([owner, orderId, status]);
    const window = this.windows.get(key) ?? { members: new Set<string>() };
    if (window.closedAt) return 'closed' as const;
    window.members.add(shipmentId);
    this.windows.set(key, window);
    return 'joined' as const;
  }
  async close(owner: string, orderId: string, status: string, closedAt: string) {
    const key = JSON.stringify([owner, orderId, status]);
    const window = this.windows.get(key) ?? { members: new Set<string>() };
    window.closedAt ??= closedAt;
    this.windows.set(key, window);
    return [...window.members].sort();
  }
}

/** The stream router's split-order ports in memory: windows, and the executions started by name. */
export function orderWindows(windowSeconds = 600) {
  const windows = new MemoryOrderWindows();
  const started = new Map<string, unknown>();
  const ports: RouteShipmentPorts['orders'] = {
    windows,
    windowSeconds,
    starter: {
      start: async (name, input) => {
        if (started.has(name)) return 'already-started';
        started.set(name, input);
        return 'started';
      },
    },
  };
  return { windows, started, ports };
}
