import { composeStallAlert } from './lib/composition/stall-alert.ts';

// StallAlertFunction: fired stall timers → the delay message. Composed once per container, at cold start.
export const handler = composeStallAlert();
