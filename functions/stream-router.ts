import { composeStreamRouter } from './lib/composition/stream-router.ts';

// StreamRouterFunction: shipment changes on the table's stream → NotificationsTopic. Composed once per container, at cold start.
export const handler = composeStreamRouter();
