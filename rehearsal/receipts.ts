import { PublishCommand } from '@aws-sdk/client-sns';
import { sesEvents } from '../emulator/services/sesv2.ts';
import { textEvent } from '../emulator/services/sms-voice.ts';
import { sesTags } from '../functions/lib/adapters/ses-tags.ts';
import type { AwsClients } from './aws.ts';

/**
 * What SES and End User Messaging would publish to the DeliveryEventsTopic after the rehearsal's
 * sends, which moto never does (no configuration-set events, no End User Messaging at all): for each
 * notification the senders recorded as sent, its receipt in AWS's own event shape (the same builders
 * the local emulator uses), naming the claim as the senders named it to the provider. Published as
 * the operator: moto does not enforce the topic policy that admits the providers.
 */

export interface PublishedReceipt {
  notification: string;
  event: string;
}

export async function publishReceipts(
  clients: AwsClients,
  topicArn: string,
  items: Record<string, any>[],
  sentAt = new Date(),
): Promise<PublishedReceipt[]> {
  const published: PublishedReceipt[] = [];
  for (const item of items) {
    if (item.entity?.S !== 'notification' || item.outcome?.S !== 'sent' || !item.providerMessageId?.S) continue;
    const reference = `${item.PK.S}|${item.SK.S}`;
    const messageId = String(item.providerMessageId.S);
    let event: { type: string; body: unknown } | undefined;
    if (item.channel?.S === 'email') {
      const tags = Object.fromEntries(sesTags(`shipment.${item.status?.S}`, reference).map((tag) => [tag.Name, tag.Value]));
      const email = {
        from: 'rehearsal@parcelcast.example',
        to: ['recipient@parcelcast.example'],
        subject: '',
        tags,
        headers: {},
        messageId,
      };
      event = sesEvents(email, sentAt, () => 'success').find((candidate) => candidate.type === 'DELIVERY');
    } else {
      event = textEvent(
        { phoneNumber: '+14254147755', message: 'rehearsal', messageId, context: { claim: reference } },
        { outcome: 'success', country: 'US' },
        sentAt,
      );
    }
    if (!event) continue;
    await clients.sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(event.body) }));
    published.push({ notification: String(item.notificationId?.S), event: event.type });
  }
  return published;
}
