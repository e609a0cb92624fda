import { readFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { decodeDeliveryEvent } from '../../functions/lib/adapters/delivery-events.ts';
import { claimKeyOfReference } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { parseNotificationMessage } from '../../functions/lib/domain/notification-message-schema.ts';

// The Lambda envelopes in events/ are for `sam local invoke -e`: they must keep the shape the
// functions decode, or an operator's first invocation fails on the sample instead of the code.
const sqsSample = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')) as SQSEvent;

describe('sample SQS events', () => {
  it.each(['send-sms.sqs.json', 'send-email.sqs.json'])('%s carries NotificationMessages the senders accept, owner included', (name) => {
    const { Records } = sqsSample(name);
    expect(Records.length).toBeGreaterThan(0);
    for (const record of Records) expect(parseNotificationMessage(record.body).owner).toEqual(expect.any(String));
  });

  it('record-delivery.sqs.json carries an SES bounce and an SMS receipt, each naming a notification claim', () => {
    const decoded = sqsSample('record-delivery.sqs.json').Records.map((record) => decodeDeliveryEvent(record.body));

    expect(decoded.map((entry) => (entry.kind === 'receipt' ? `${entry.receipt.channel}:${entry.receipt.status}` : entry.kind))).toEqual([
      'email:bounced',
      'sms:delivered',
    ]);
    for (const entry of decoded) {
      if (entry.kind === 'receipt') expect(claimKeyOfReference(entry.receipt.reference)).toBeDefined();
    }
  });
});
