import Ajv2020Module from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { shipmentView } from '../../functions/lib/app/read-shipment.ts';
import { readWallet } from '../../functions/lib/app/read-wallet.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import type { WalletSnapshot } from '../../functions/lib/domain/ports.ts';
import { applyEvent, type Shipment } from '../../functions/lib/domain/shipment.ts';
import { buildOpenApi } from '../../scripts/openapi.ts';
import { shipmentCreated, shipmentStatus } from '../support/events.ts';

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
  it('a shipment with its customer, timeline and notifications is a Shipment', () => {
    const events = parseEvents([
      shipmentCreated('shp-doc', 0, { trackingUrl: 'https://track.example.com/1' }),
      shipmentStatus('shipped', 'shp-doc', 5, { carrier: 'DHL' }),
    ]).events as ShipmentEvent[];
    const shipment = events.reduce<Shipment | undefined>((current, event) => applyEvent(current, event), undefined) as Shipment;
    const view = shipmentView({
      shipment,
      notifications: [{ status: 'shipped', channel: 'sms', outcome: 'sent', at: '2026-11-28T08:00:00.000Z' }],
    });

    const isShipment = validate('Shipment');
    expect(isShipment(JSON.parse(JSON.stringify(view))), JSON.stringify(isShipment.errors)).toBe(true);
  });

  it('a wallet, confirmed or pending, is a Wallet', async () => {
    const isWallet = validate('Wallet');
    for (const reconciledAt of [undefined, '2026-11-28T08:00:00.000Z']) {
      const snapshot: WalletSnapshot = {
        walletId: 'wal-doc',
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
