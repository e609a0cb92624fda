import Ajv2020Module from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { HISTORY_PAGE_SIZE, shipmentView } from '../../functions/lib/app/read-shipment.ts';
import { readWallet } from '../../functions/lib/app/read-wallet.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import type { WalletSnapshot } from '../../functions/lib/domain/ports.ts';
import { timelineKey } from '../../functions/lib/domain/shipment.ts';
import { buildOpenApi } from '../../scripts/openapi.ts';
import { shipmentCreated, shipmentStatus } from '../support/events.ts';
import { entriesOf, stateAfter } from '../support/shipments.ts';

// The read model the handlers return must be what docs/openapi.json promises integrators.
type Validator = {
  addSchema(schema: object, key: string): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as new (options: object) => Validator;

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ components: buildOpenApi().components }, 'openapi');
const validate = (name: string) => ajv.compile({ $ref: `openapi#/components/schemas/${name}` });

describe('responses match docs/openapi.json', () => {
  it('a shipment with its customer, a page of its timeline and notifications is a Shipment, on the last page or not', () => {
    const events = parseEvents([
      shipmentCreated('shp-doc', 0, { trackingUrl: 'https://track.example.com/1', parcelCount: 2 }),
      shipmentStatus('shipped', 'shp-doc', 5, { carrier: 'DHL' }),
      shipmentStatus('delivery_failed', 'shp-doc', 9, { reason: 'nobody home' }),
    ]).events as ShipmentEvent[];
    const entries = entriesOf(events);
    const isShipment = validate('Shipment');
    for (const nextAfter of [undefined, timelineKey(entries[2]!)]) {
      const view = shipmentView(
        {
          state: stateAfter(events)!,
          entries,
          ...(nextAfter ? { nextAfter } : {}),
          notifications: [
            { status: 'shipped', channel: 'sms', outcome: 'sent', at: '2026-11-28T08:00:00.000Z' },
            // A combined message of its order, which named it.
            {
              status: 'out_for_delivery',
              channel: 'email',
              outcome: 'delivered',
              at: '2026-11-28T09:00:00.000Z',
              sentAt: '2026-11-28T08:59:00.000Z',
              finalAt: '2026-11-28T09:00:00.000Z',
              providerMessageId: 'ses-1',
              order: { orderId: 'ord-doc', shipmentIds: ['shp-doc', 'shp-doc-2'] },
            },
          ],
        },
        { order: 'oldest', limit: HISTORY_PAGE_SIZE },
      );
      expect(isShipment(JSON.parse(JSON.stringify(view))), JSON.stringify(isShipment.errors)).toBe(true);
    }
  });

  it('a wallet, confirmed or pending, is a Wallet', async () => {
    const isWallet = validate('Wallet');
    for (const reconciledAt of [undefined, '2026-11-28T08:00:00.000Z']) {
      const snapshot: WalletSnapshot = {
        walletId: 'wal-doc',
        owner: 'ams',
        customerId: 'cus-1',
        balance: -1299,
        currency: 'EUR',
        version: 3,
        entryCount: 2,
        lastEntryAt: '2026-11-28T07:59:00.000Z',
        reconciledAt,
        reconciliationPending: reconciledAt === undefined,
      };
      const view = await readWallet({ readWallet: async () => snapshot }, 'wal-doc');
      expect(isWallet(view), JSON.stringify(isWallet.errors)).toBe(true);
    }
  });

  it('rejects a Wallet that drops a promised field (so the check can fail)', () => {
    const isWallet = validate('Wallet');
    expect(isWallet({ walletId: 'w', balance: 1, currency: 'EUR' })).toBe(false);
  });
});
