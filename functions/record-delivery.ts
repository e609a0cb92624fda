import { composeRecordDelivery } from './lib/composition/record-delivery.ts';

// RecordDeliveryFunction: SES and SMS delivery receipts → each notification's status. Composed once per container, at cold start.
export const handler = composeRecordDelivery();
