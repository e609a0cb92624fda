import { shipmentMessage } from '#domain/notification-policy.ts';
import type { NotificationPublisher } from '#domain/notification-ports.ts';
import type { OrderWindows, ShipmentStates } from '#domain/ports.ts';
import type { ShipmentStatus } from '#domain/shipment.ts';
import { combinedMessages } from '#domain/split-orders.ts';
import { type DailyCapPorts, withinDailyCap } from './daily-cap.ts';

export interface CloseOrderWindowPorts extends DailyCapPorts {
  windows: OrderWindows;
  states: ShipmentStates;
  publisher: NotificationPublisher;
}

export interface OrderWindowInput {
  owner: string;
  orderId: string;
  status: ShipmentStatus;
}

/** What the workflow's output says: counts and channels, never a contact. */
export interface ClosedWindow {
  orderId: string;
  status: ShipmentStatus;
  members: number;
  /** Parcels the messages named (members still at the status). */
  named: number;
  published: number;
  suppressed: number;
}

export class OrderWindowPublishError extends Error {
  override readonly name = 'OrderWindowPublishError';
}

/**
 * The SplitOrderWindow workflow's task, after its wait: closes the window (later parcels get
 * their own messages), re-reads its members and publishes one message per channel naming the
 * parcels still at the status, within the owner's daily cap, then marks the window published.
 * A window found published already (closed early because every parcel had joined, and this is
 * the execution that waited) publishes nothing. Safe to run again (a retry after a crash): the
 * window stays closed with the same members and the senders' claims, one per
 * (order, status, channel), send once.
 */
export async function closeOrderWindow(ports: CloseOrderWindowPorts, window: OrderWindowInput): Promise<ClosedWindow> {
  const now = ports.clock().toISOString();
  const { members, publishedAt } = await ports.windows.close(window.owner, window.orderId, window.status, now);
  if (publishedAt !== undefined) {
    return { orderId: window.orderId, status: window.status, members: members.length, named: 0, published: 0, suppressed: 0 };
  }
  const states = (await Promise.all(members.map((id) => ports.states.currentState(id)))).flatMap((found) => (found ? [found.state] : []));
  const messages = combinedMessages(window, states, shipmentMessage);
  const capped = await withinDailyCap(
    ports,
    window.owner,
    messages.map((message) => ({ message })),
  );
  const outgoing = capped.allowed.map(({ message }) => message);
  if (outgoing.length > 0) {
    const { failed } = await ports.publisher.publish(outgoing);
    // The workflow's Retry runs the task again; the claims keep what was published from going twice.
    if (failed.length > 0) throw new OrderWindowPublishError(`${failed.length} of ${outgoing.length} combined messages were not published`);
  }
  await ports.windows.markPublished(window.owner, window.orderId, window.status, now);
  const named = messages[0]?.order?.parcels.length ?? (messages.length > 0 ? 1 : 0);
  return {
    orderId: window.orderId,
    status: window.status,
    members: members.length,
    named,
    published: outgoing.length,
    suppressed: capped.suppressed,
  };
}
