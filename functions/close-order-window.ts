import { composeCloseOrderWindow } from './lib/composition/close-order-window.ts';

// CloseOrderWindowFunction: the SplitOrderWindow state machine's CloseWindow task. Composed once per container, at cold start.
export const handler = composeCloseOrderWindow();
