import type { RouteShipmentPorts } from '../../functions/lib/app/route-shipment-changes.ts';
import type { OrderSize, OrderWindows, WindowJoin } from '../../functions/lib/domain/ports.ts';

/** Order counts and windows in memory, with the conditions DynamoOrderWindows writes with. */
export class MemoryOrderWindows implements OrderWindows {
  readonly orders = new Map<string, { ids: Set<string>; parcelCount?: number }>();
  readonly windows = new Map<string, { members: Set<string>; episodes: Set<string>; closedAt?: string; publishedAt?: string }>();
  async addShipment(owner: string, orderId: string, shipmentId: string, parcelCount?: number) {
    const key = JSON.stringify([owner, orderId]);
    const order = this.orders.get(key) ?? { ids: new Set<string>() };
    order.ids.add(shipmentId);
    if (parcelCount !== undefined && (order.parcelCount === undefined || order.parcelCount <= parcelCount)) order.parcelCount = parcelCount;
    this.orders.set(key, order);
    return order.ids.size;
  }
  async size(owner: string, orderId: string): Promise<OrderSize> {
    const order = this.orders.get(JSON.stringify([owner, orderId]));
    const shipments = order?.ids.size ?? 0;
    return order?.parcelCount !== undefined ? { shipments, parcelCount: order.parcelCount } : { shipments };
  }
  async join(owner: string, orderId: string, status: string, shipmentId: string, episode: string): Promise<WindowJoin> {
    const key = JSON.stringify([owner, orderId, status]);
    const window = this.windows.get(key) ?? { members: new Set<string>(), episodes: new Set<string>() };
    const memberEpisode = JSON.stringify([shipmentId, episode]);
    if (window.closedAt && !window.episodes.has(memberEpisode)) return { joined: false };
    window.members.add(shipmentId);
    window.episodes.add(memberEpisode);
    this.windows.set(key, window);
    return { joined: true, members: window.members.size };
  }
  async close(owner: string, orderId: string, status: string, closedAt: string) {
    const key = JSON.stringify([owner, orderId, status]);
    const window = this.windows.get(key) ?? { members: new Set<string>(), episodes: new Set<string>() };
    window.closedAt ??= closedAt;
    this.windows.set(key, window);
    const members = [...window.members].sort();
    return window.publishedAt ? { members, publishedAt: window.publishedAt } : { members };
  }
  async markPublished(owner: string, orderId: string, status: string, at: string) {
    const window = this.windows.get(JSON.stringify([owner, orderId, status]));
    if (!window?.closedAt) throw new Error('ConditionalCheckFailedException: the window is not closed');
    window.publishedAt ??= at;
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
