import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { SnsNotificationPublisher } from '../../functions/lib/adapters/sns-notification-publisher.ts';
import type { Shipment } from '../../functions/lib/domain/shipment.ts';
import { streamRouterHandler } from '../../functions/lib/handlers/stream-router.ts';
import { createObservability } from '../../functions/lib/runtime/observability.ts';
import { routerPorts } from '../support/router-ports.ts';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const customer = { id: 'cus-1', phone: '+34600111222', email: 'ana@example.com', locale: 'fr-FR' };

function aggregate(shipmentId: string, status: Shipment['status'], extra: Partial<Shipment> = {}) {
  return {
    PK: `SHIPMENT#${shipmentId}`,
    SK: 'SHIPMENT',
    entity: 'shipment',
    version: 2,
    shipmentId,
    status,
    statusTime: '2026-11-01T10:00:00.000Z',
    customer,
    timeline: [],
    ...extra,
  };
}

let sequence = 100;
function record(before: Record<string, unknown> | undefined, after: Record<string, unknown>): DynamoDBRecord {
  sequence += 1;
  return {
    eventName: before ? 'MODIFY' : 'INSERT',
    dynamodb: {
      Keys: marshall({ PK: after.PK, SK: after.SK }) as never,
      ...(before ? { OldImage: marshall(before, { removeUndefinedValues: true }) as never } : {}),
      NewImage: marshall(after, { removeUndefinedValues: true }) as never,
      SequenceNumber: String(sequence),
    },
  };
}

const router = () =>
  streamRouterHandler(
    routerPorts(
      new SnsNotificationPublisher(new SNSClient({}), 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic', {
        attempts: 2,
        baseDelayMs: 1,
        sleep: async () => undefined,
      }),
    ),
    createObservability(),
  );

describe('stream-router', () => {
  it('publishes one message per channel for an announced status change, nothing for others', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });

    const response = await router()(
      {
        Records: [
          record(aggregate('a', 'packed'), aggregate('a', 'shipped')),
          record(aggregate('b', 'created'), aggregate('b', 'picked')),
          record(undefined, aggregate('c', 'created')),
        ],
      },
      lambdaContext('StreamRouterFunction'),
    );

    expect(response.batchItemFailures).toEqual([]);
    const entries = sns.commandCalls(PublishBatchCommand).flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
    expect(entries.map((entry) => JSON.parse(entry.Message ?? '{}').notificationId)).toEqual([
      'shipment#a#shipped#sms',
      'shipment#a#shipped#email',
    ]);
    expect(entries[1]?.MessageAttributes?.locale).toEqual({ DataType: 'String', StringValue: 'fr-FR' });
  });

  it('reports the record whose messages SNS failed, and only it', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [{ Id: 'm2', Code: 'InvalidParameter', SenderFault: true }] });
    const first = record(aggregate('x', 'packed'), aggregate('x', 'shipped'));
    const second = record(aggregate('y', 'shipped'), aggregate('y', 'delivered'));

    const response = await router()({ Records: [first, second] }, lambdaContext('StreamRouterFunction'));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: second.dynamodb?.SequenceNumber }]);
  });

  it('fails the whole batch, publishing nothing, when a shipment record cannot be read, so bisecting isolates it', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    const readable = record(aggregate('r', 'packed'), aggregate('r', 'shipped'));
    const { timeline: _dropped, ...withoutTimeline } = aggregate('u', 'shipped');
    const unreadable = record(aggregate('u', 'packed'), withoutTimeline);

    const response = router()({ Records: [readable, unreadable] }, lambdaContext('StreamRouterFunction'));

    await expect(response).rejects.toThrow(new RegExp(`unreadable stream records: ${unreadable.dynamodb?.SequenceNumber}$`));
    expect(sns).not.toHaveReceivedCommand(PublishBatchCommand);
  });

  it('ignores removals and items that are not shipment aggregates', async () => {
    const notification = { PK: 'SHIPMENT#z', SK: 'NOTIFICATION#shipped#sms', outcome: 'sent' };

    const response = await router()(
      {
        Records: [
          { ...record(undefined, notification), eventName: 'INSERT' },
          { ...record(aggregate('z', 'shipped'), aggregate('z', 'delivered')), eventName: 'REMOVE' },
        ],
      },
      lambdaContext('StreamRouterFunction'),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(sns).not.toHaveReceivedCommand(PublishBatchCommand);
  });

  it("counts a shipment's messages against its owner's daily cap, from the aggregate's owner in the stream image", async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    const ports = routerPorts(new SnsNotificationPublisher(new SNSClient({}), 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic'), {
      caps: { 'ams-1': 1 },
    });

    const response = await streamRouterHandler(ports, createObservability())(
      {
        Records: [
          record(
            aggregate('own', 'packed', { owner: 'ams-1' } as Partial<Shipment>),
            aggregate('own', 'shipped', { owner: 'ams-1' } as Partial<Shipment>),
          ),
          record(aggregate('legacy', 'packed'), aggregate('legacy', 'shipped')),
        ],
      },
      lambdaContext('StreamRouterFunction'),
    );

    const entries = sns.commandCalls(PublishBatchCommand).flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
    expect(response.batchItemFailures).toEqual([]);
    expect(entries.map((entry) => JSON.parse(entry.Message ?? '{}').notificationId)).toEqual([
      'shipment#own#shipped#sms',
      'shipment#legacy#shipped#sms',
      'shipment#legacy#shipped#email',
    ]);
    expect(ports.suppressed.map(({ message, reason }) => [message.notificationId, reason])).toEqual([
      ['shipment#own#shipped#email', 'warehouse ams-1 reached its daily cap of 1 notifications'],
    ]);
  });
});
