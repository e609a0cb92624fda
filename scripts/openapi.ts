import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { HISTORY_ORDERS, HISTORY_PAGE_SIZE } from '../functions/lib/app/read-shipment.ts';
import { CHANNELS, cloudEventSchemas, EVENT_TYPES, identifierSchema, MAX_BATCH_EVENTS } from '../functions/lib/domain/cloud-events.ts';
import { DELIVERY_STATUSES } from '../functions/lib/domain/delivery-status.ts';
import { PREFERENCE_LEVELS } from '../functions/lib/domain/preferences.ts';
import { SHIPMENT_STATUSES } from '../functions/lib/domain/shipment.ts';
import { WAREHOUSE_ID } from '../functions/lib/domain/warehouse.ts';
import { parseCommandLine } from '../support/cli.ts';

/**
 * docs/openapi.json, generated from the zod schemas the ingest handler validates with, so the
 * published contract cannot drift from the code. `npm run openapi` rewrites it; a test fails
 * when the committed file is stale.
 */

export const OPENAPI_PATH = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

const jsonSchema = (schema: z.core.$ZodType) => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export function buildOpenApi() {
  const eventRefs = EVENT_TYPES.map((type) => ({ $ref: `#/components/schemas/${schemaName(type)}` }));
  const cloudEvent = { oneOf: eventRefs, discriminator: { propertyName: 'type' } };
  const batch = { type: 'array', minItems: 1, maxItems: MAX_BATCH_EVENTS, items: { $ref: '#/components/schemas/CloudEvent' } };
  const signatureHeaders = [
    { name: 'webhook-id', in: 'header', required: true, schema: { type: 'string' }, description: 'Unique message id (Standard Webhooks).' },
    {
      name: 'webhook-timestamp',
      in: 'header',
      required: true,
      schema: { type: 'string', pattern: '^\\d+$' },
      description: 'Unix seconds; more than 5 minutes from now is rejected.',
    },
    {
      name: 'webhook-signature',
      in: 'header',
      required: true,
      schema: { type: 'string' },
      description: 'Space-separated `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` signatures.',
    },
  ];
  const postEvents = (
    operationId: string,
    summary: string,
    parameters: object[],
    unauthorized: object,
    more: Record<string, object> = {},
  ) => ({
    operationId,
    summary: `${summary} Idempotent by (warehouse, source, id).`,
    parameters: [...parameters, ...signatureHeaders],
    requestBody: {
      required: true,
      content: {
        'application/cloudevents+json': { schema: { $ref: '#/components/schemas/CloudEvent' } },
        'application/cloudevents-batch+json': { schema: batch },
        'application/json': { schema: { oneOf: [{ $ref: '#/components/schemas/CloudEvent' }, batch] } },
      },
    },
    responses: {
      '202': {
        description: 'Every event is stored (new or already seen); results in request order.',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/IngestResults' } } },
      },
      '400': problem(
        'Not UTF-8 (judged after the signature, over the bytes sent), not JSON, not CloudEvents, unknown type, schema violation (docs/problems.md lists the rules), an event dated more than 5 minutes after receipt, a currency mismatch or an entry past the balance limit; nothing of the batch is stored. Only if another request changed a wallet after the checks does the problem carry `results` (which events are stored).',
      ),
      '401': unauthorized,
      '403': problem(
        "An event whose source is not one of the warehouse's, of a kind its scopes do not cover, or about a shipment or wallet another warehouse owns (errors[] names each); nothing of the batch is stored (`results` only if another warehouse took a subject after the checks).",
      ),
      ...more,
      '409': problem(
        "An event's id (from its source, of this warehouse) is already stored with other content: another type, time or data (`errors[].path` `id`, or `[i].id` in a batch). Identical resends are answered `duplicate`. Found at the event's write: earlier events of a batch are stored, and `results` says so.",
      ),
      '413': problem('Body over 256 KiB or batch over 100 events.'),
      '415': problem('Unsupported content type.'),
      '429': {
        ...problem(
          "The warehouse is over its request rate, or its events have triggered the day's notification cap (until midnight UTC); nothing was stored.",
        ),
        headers: { 'retry-after': { description: 'Seconds to wait before sending again.', schema: { type: 'integer', minimum: 1 } } },
      },
      '503': problem(
        'Throttled or contended after the writes began: `results` says which events are stored; send the request again (stored ones are answered duplicate). `retry-after` header.',
      ),
    },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parcelcast API',
      version: '1.0.0',
      description: 'Warehouses post signed CloudEvents; operators read shipments and wallets. Changes to this contract are additive only.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    paths: {
      '/v1/warehouses/{warehouseId}/events': {
        post: postEvents(
          'postWarehouseEvents',
          "Record one CloudEvent or a batch of up to 100 (256 KiB in all) of the warehouse the path names, signed with one of that warehouse's keys (docs/warehouses.md).",
          [
            {
              name: 'warehouseId',
              in: 'path',
              required: true,
              schema: { type: 'string', pattern: WAREHOUSE_ID.source },
              description: 'The id the operator registered the warehouse under; only its keys are tried.',
            },
          ],
          problem('Missing, invalid or stale signature, or no such warehouse (the same answer, so ids cannot be probed).'),
        ),
      },
      '/v1/events': {
        post: postEvents(
          'postEvents',
          'The same as /v1/warehouses/{warehouseId}/events for a deployment with a single registered warehouse.',
          [],
          problem('Missing, invalid or stale signature, or no warehouse registered.'),
          {
            '404': problem(
              'The deployment serves several warehouses: post to /v1/warehouses/{warehouseId}/events instead (the problem says so).',
            ),
          },
        ),
      },
      '/v1/shipments/{shipmentId}': {
        get: {
          operationId: 'getShipment',
          summary: `Status, owner, one page of the timeline (${HISTORY_PAGE_SIZE} events) and notifications of a shipment; contact details masked.`,
          security: [{ sigv4: [] }],
          parameters: [
            { name: 'shipmentId', in: 'path', required: true, schema: jsonSchema(identifierSchema) },
            {
              name: 'order',
              in: 'query',
              required: false,
              schema: { enum: [...HISTORY_ORDERS], default: 'oldest' },
              description: 'Timeline by event time, oldest or newest first. With a cursor, the cursor’s order (or leave it out).',
            },
            {
              name: 'cursor',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              description: 'The `nextCursor` of the previous page, as given; opaque.',
            },
          ],
          responses: {
            '200': { description: 'The shipment.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Shipment' } } } },
            '400': problem(
              'The path names an id no shipment can have (the rules of ids in events; errors[].path is `shipmentId`), an `order` other than oldest or newest, or a cursor this API did not give out for this shipment.',
            ),
            '404': problem('No such shipment.'),
          },
        },
      },
      '/v1/preferences/{token}': {
        parameters: [
          {
            name: 'token',
            in: 'path',
            required: true,
            schema: { type: 'string', maxLength: 1200 },
            description: 'The signed, expiring token of the link in a notification email (List-Unsubscribe and the footer).',
          },
        ],
        get: {
          operationId: 'showPreferences',
          summary: "The customer's preference page: what they get per channel, and a form to change it. Changes nothing.",
          security: [],
          responses: {
            '200': { description: 'The preference page.', content: { 'text/html': { schema: { type: 'string' } } } },
            '404': {
              description: 'The link is expired or not one Parcelcast signed: a page saying so.',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
          },
        },
        post: {
          operationId: 'changePreferences',
          summary:
            'One-click unsubscribe (RFC 8058: `List-Unsubscribe=One-Click` keeps only essential messages on the link’s channel), or the page’s form (`sms`, `email`: `all` or `essential`). No redirect.',
          security: [],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': { schema: { $ref: '#/components/schemas/PreferenceForm' } },
              'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/PreferenceForm' } },
            },
          },
          responses: {
            '200': {
              description: 'Recorded; a page saying what the customer now gets.',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
            '400': problem('A level that does not exist (errors[].path names the channel), or a form that changes nothing.'),
            '404': problem('The link is expired or not one Parcelcast signed.'),
            '415': problem('Neither form encoding.'),
          },
        },
      },
      '/v1/wallets/{walletId}': {
        get: {
          operationId: 'getWallet',
          summary: 'Balance of a wallet, when it was last reconciled and whether a reconciliation is pending.',
          security: [{ sigv4: [] }],
          parameters: [{ name: 'walletId', in: 'path', required: true, schema: jsonSchema(identifierSchema) }],
          responses: {
            '200': { description: 'The wallet.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Wallet' } } } },
            '400': problem('The path names an id no wallet can have (the rules of ids in events); errors[].path is `walletId`.'),
            '404': problem('No such wallet.'),
          },
        },
      },
    },
    components: {
      securitySchemes: { sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS Signature Version 4 (IAM).' } },
      schemas: {
        CloudEvent: cloudEvent,
        ...Object.fromEntries(EVENT_TYPES.map((type) => [schemaName(type), jsonSchema(cloudEventSchemas[type])])),
        IngestResults: {
          type: 'object',
          required: ['results'],
          properties: {
            results: {
              type: 'array',
              items: {
                type: 'object',
                required: ['id', 'status'],
                properties: { id: { type: 'string' }, status: { enum: ['accepted', 'duplicate'] } },
              },
            },
          },
        },
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details.',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['path', 'message'],
                properties: { path: { type: 'string', examples: ['[3].data.customer.phone'] }, message: { type: 'string' } },
              },
            },
            results: {
              type: 'array',
              description: 'When a request stopped after its writes began: each event, in request order, stored or not.',
              items: {
                type: 'object',
                required: ['id', 'status'],
                properties: { id: { type: 'string' }, status: { enum: ['accepted', 'duplicate', 'not_stored'] } },
              },
            },
          },
        },
        Shipment: {
          type: 'object',
          required: ['shipmentId', 'owner', 'status', 'statusTime', 'order', 'timeline', 'nextCursor', 'notifications'],
          properties: {
            shipmentId: { type: 'string' },
            owner: { type: 'string', description: 'The warehouse that wrote its first event; only it may write more.' },
            orderId: { type: 'string' },
            parcelCount: {
              type: 'integer',
              minimum: 1,
              description: 'How many parcels the order ships in, as the shipment.created that gave the orderId said.',
            },
            status: { enum: [...SHIPMENT_STATUSES] },
            statusTime: { type: 'string', format: 'date-time' },
            statusDetails: {
              type: 'object',
              additionalProperties: { type: 'string' },
              description: 'What the event of the current status said: reason, location, signedBy, nextAttemptAt.',
            },
            customer: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                name: { type: 'string' },
                phone: { type: 'string', description: 'Masked.' },
                email: { type: 'string', description: 'Masked.' },
                locale: { type: 'string' },
                timeZone: { type: 'string' },
                channels: { type: 'array', items: { enum: [...CHANNELS] } },
              },
            },
            carrier: { type: 'string' },
            trackingNumber: { type: 'string' },
            trackingUrl: { type: 'string' },
            promisedBy: { type: 'string' },
            eta: { type: 'string' },
            order: { enum: [...HISTORY_ORDERS], description: 'The order of `timeline`.' },
            timeline: {
              type: 'array',
              maxItems: HISTORY_PAGE_SIZE,
              description: `One page of the shipment's events, by event time (ties: by stage, then idempotency key).`,
              items: {
                type: 'object',
                required: ['status', 'time', 'source', 'id', 'receivedAt'],
                properties: {
                  status: { enum: [...SHIPMENT_STATUSES] },
                  time: { type: 'string', format: 'date-time' },
                  source: { type: 'string' },
                  id: { type: 'string' },
                  receivedAt: { type: 'string', format: 'date-time', description: 'When Parcelcast received it.' },
                  details: { type: 'object' },
                },
              },
            },
            nextCursor: {
              type: ['string', 'null'],
              description: 'Pass as `cursor` for the next page; null on the last page.',
            },
            notifications: {
              type: 'array',
              description:
                'Its messages, oldest first (by `statusTime`, else `sentAt`, else `at`): a status is announced once per entry into it, so one status may have several.',
              items: {
                type: 'object',
                required: ['status', 'channel', 'outcome', 'at'],
                additionalProperties: false,
                properties: {
                  status: { type: 'string', description: 'The shipment status the message announced.' },
                  statusTime: {
                    type: 'string',
                    format: 'date-time',
                    description:
                      'When that status was entered: the entry (episode) the message told. Absent on stall alerts, new delivery dates and messages from before episodes.',
                  },
                  channel: { enum: [...CHANNELS] },
                  outcome: {
                    enum: [...DELIVERY_STATUSES],
                    description:
                      'Delivery status (docs/notifications.md): claimed → sent → delivered | failed | bounced | complained; suppressed or failed when decided at send time. Only ever moves forward.',
                  },
                  at: { type: 'string', format: 'date-time', description: 'When the status last changed.' },
                  reason: {
                    type: 'string',
                    description:
                      "The provider's classification (`Permanent/General`, `TEXT_INVALID`) or why it was suppressed (`bounced`, `complained`, `opted_out`, `invalid_number`, `preference`).",
                  },
                  providerMessageId: { type: 'string', description: 'SES or End User Messaging message id.' },
                  sentAt: { type: 'string', format: 'date-time' },
                  finalAt: {
                    type: 'string',
                    format: 'date-time',
                    description: 'When the final receipt (or the send-time decision) said how it ended.',
                  },
                  fallbackFrom: { enum: [...CHANNELS], description: 'Sent on this channel because the other could not deliver it.' },
                  order: {
                    type: 'object',
                    required: ['orderId', 'shipmentIds'],
                    additionalProperties: false,
                    description:
                      "Present on a combined message of the shipment's order (docs/alerts.md, Split orders): one message per channel named this parcel and the others of the order that reached the status together. Its delivery status is that message's own.",
                    properties: {
                      orderId: { type: 'string' },
                      shipmentIds: {
                        type: 'array',
                        items: { type: 'string' },
                        minItems: 2,
                        description: 'Every parcel the message named, this one among them.',
                      },
                    },
                  },
                },
              },
            },
          },
        },
        PreferenceForm: {
          type: 'object',
          properties: {
            'List-Unsubscribe': { const: 'One-Click' },
            sms: { enum: [...PREFERENCE_LEVELS] },
            email: { enum: [...PREFERENCE_LEVELS] },
          },
        },
        Wallet: {
          type: 'object',
          required: ['walletId', 'owner', 'balance', 'currency', 'entries', 'lastEntryAt', 'reconciledAt', 'reconciliationPending'],
          additionalProperties: false,
          properties: {
            walletId: { type: 'string' },
            owner: { type: 'string', description: 'The warehouse that opened it; its customer is told the confirmed balance.' },
            balance: { type: 'integer', description: 'Running balance in minor units; confirmed once reconciliationPending is false.' },
            currency: { type: 'string' },
            entries: { type: 'integer', description: 'Ledger entries booked so far.' },
            lastEntryAt: { type: ['string', 'null'], format: 'date-time' },
            reconciledAt: {
              type: ['string', 'null'],
              format: 'date-time',
              description: 'When the balance was last confirmed from the ledger.',
            },
            reconciliationPending: { type: 'boolean', description: 'An entry arrived since the last confirmation.' },
          },
        },
      },
    },
  };
}

function schemaName(type: string): string {
  return type
    .split(/[._]/)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  parseCommandLine(
    { name: 'npm run openapi', usage: 'usage: npm run openapi   (takes no options; writes docs/openapi.json)' },
    { options: {} },
  );
  writeFileSync(OPENAPI_PATH, `${JSON.stringify(buildOpenApi(), null, 2)}\n`);
  console.log(`wrote ${OPENAPI_PATH}`);
}
