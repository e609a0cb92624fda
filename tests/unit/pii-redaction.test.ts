import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_LOGGED_DEPTH, PiiRedactingLogFormatter, redactPii } from '../../functions/lib/runtime/pii-redaction.ts';

// Logs fail closed (issue 13): no nesting, cycle, error chain or JSON-in-a-string lets a contact detail or a name through.

const PHONE = '+34600111222';
const EMAIL = 'ana.garcia@example.com';
const NAME = 'Ana García';
const RAW = [PHONE, EMAIL, NAME, '600111222', 'ana.garcia@', 'García'];

function expectNoPii(value: unknown): void {
  const text = JSON.stringify(value);
  for (const raw of RAW) expect(text, text.slice(0, 400)).not.toContain(raw);
}

/** A customer as the events carry it. */
const customer = () => ({ id: 'cus-1', name: NAME, phone: PHONE, email: EMAIL, locale: 'es-ES' });

type Wrap = (inner: unknown) => unknown;
const WRAPS: Record<string, Wrap> = {
  object: (inner) => ({ detail: inner }),
  array: (inner) => [1, inner, 'x'],
  cause: (inner) => new Error('failed', { cause: inner }),
  aggregate: (inner) => new AggregateError([inner], 'several failed'),
  map: (inner) => new Map([['entry', inner]]),
  set: (inner) => new Set([inner]),
  json: (inner) => JSON.stringify({ body: inner }),
  sdkError: (inner) => Object.assign(new Error('ValidationException'), { $metadata: { attempts: 1 }, input: inner }),
};

/** `leaf` wrapped in `kinds`, innermost first. */
const nest = (leaf: unknown, kinds: readonly string[]) => kinds.reduce((inner, kind) => (WRAPS[kind] as Wrap)(inner), leaf);

describe('redactPii', () => {
  it('masks contact details and names 60 levels deep, where the old walk stopped at 8', () => {
    let deep: unknown = { recipient: PHONE, email: EMAIL, customer: customer(), note: `call ${PHONE} or write to ${EMAIL}` };
    for (let depth = 0; depth < 60; depth += 1) deep = { level: depth, child: deep, list: [{ phone: PHONE }, [`to ${EMAIL}`]] };
    const redacted = redactPii(deep) as Record<string, any>;
    expectNoPii(redacted);
    let bottom = redacted;
    for (let depth = 0; depth < 60; depth += 1) bottom = bottom.child;
    expect(bottom).toMatchObject({ recipient: '+34•••••••22', customer: { name: 'A•••', phone: '+34•••••••22' } });
  });

  it('walks 100,000 levels without overflowing, and withholds what JSON.stringify could not write', () => {
    const kinds = Array.from({ length: 100_000 }, (_, i) => (i % 2 ? 'object' : 'array'));
    const redacted = redactPii(nest({ phone: PHONE, name: NAME }, kinds));
    const text = JSON.stringify(redacted);
    expectNoPii(redacted);
    expect(text).toContain('"[nested too deep to log]"');
    // Within the limit, everything is walked and masked, to the last level.
    expect(JSON.stringify(redactPii(nest({ phone: PHONE }, kinds.slice(0, MAX_LOGGED_DEPTH - 1))))).toContain('+34•••••••22');
  });

  it('turns error chains into plain objects with masked text, causes and aggregated errors included', () => {
    const chain = new Error(`SNS refused ${PHONE}`, {
      cause: new AggregateError([new Error(`bounced: ${EMAIL}`), { customerName: NAME }], 'two failures'),
    });
    const redacted = redactPii({ error: chain }) as Record<string, any>;
    expectNoPii(redacted);
    expect(redacted.error).toMatchObject({
      name: 'Error',
      message: 'SNS refused +34•••••••22',
      cause: { name: 'AggregateError', errors: [{ message: 'bounced: a•••@example.com' }, { customerName: 'A•••' }] },
    });
  });

  it('cuts cycles instead of looping or failing, in objects, arrays and error causes', () => {
    const profile: Record<string, unknown> = { phone: PHONE };
    profile.self = profile;
    const list: unknown[] = [EMAIL];
    list.push(list);
    const error = new Error(`to ${PHONE}`);
    error.cause = error;
    const shared = { name: NAME };
    const redacted = redactPii({ profile, list, error, twice: [shared, shared] }) as Record<string, any>;
    expect(redacted.profile.self).toBe('[Circular]');
    expect(redacted.list[1]).toBe('[Circular]');
    expect(redacted.error.cause).toBe('[Circular]');
    // The same object twice, not in a cycle, is written twice.
    expect(redacted.twice).toEqual([{ name: 'A•••' }, { name: 'A•••' }]);
    expectNoPii(redacted);
  });

  it('masks inside JSON carried as text: an API Gateway body, an SQS record holding an SNS message', () => {
    const body = JSON.stringify({ type: 'shipment.created', data: { shipmentId: 'shp-1', customer: customer() } });
    const snsInSqs = JSON.stringify({ Type: 'Notification', Message: JSON.stringify({ recipient: PHONE, customerName: NAME }) });
    const redacted = redactPii({ event: { body, headers: { 'webhook-id': 'msg_1' } }, Records: [{ body: snsInSqs }] }) as Record<
      string,
      any
    >;
    expectNoPii(redacted);
    expect(JSON.parse(redacted.event.body).data.customer).toMatchObject({ name: 'A•••', email: 'a•••@example.com' });
    // Text that only looks like JSON (cut short) still has its name fields masked.
    expectNoPii(redactPii({ body: `${body.slice(0, 120)}` }));
  });

  it('masks phone numbers in text however they are grouped', () => {
    const redacted = redactPii({ note: 'tried +34 600 111 222, +34-600-111-222 and +1 (415) 555-0100' });
    expect(JSON.stringify(redacted)).not.toMatch(/600.111.222|555.0100/);
  });

  it('masks names under every key that carries one', () => {
    const redacted = redactPii({ name: NAME, customerName: NAME, signedBy: NAME, fullName: NAME, firstName: 'Ana', lastName: 'García' });
    expect(redacted).toEqual({
      name: 'A•••',
      customerName: 'A•••',
      signedBy: 'A•••',
      fullName: 'A•••',
      firstName: 'A•••',
      lastName: 'G•••',
    });
  });

  it('keeps __proto__ as data and never as a prototype', () => {
    const parsed = JSON.parse(`{"__proto__": {"phone": "${PHONE}", "polluted": true}}`);
    const redacted = redactPii(parsed) as Record<string, any>;
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(redacted.polluted).toBeUndefined();
    expect(JSON.stringify(redacted)).toBe('{"__proto__":{"phone":"+34•••••••22","polluted":true}}');
  });

  it('writes what it cannot read as [unreadable], not raw', () => {
    const hostile = {
      phone: PHONE,
      get secret(): string {
        throw new Error(`cannot read ${PHONE}`);
      },
    };
    const proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no keys');
        },
      },
    );
    expect(redactPii({ hostile, proxy })).toEqual({ hostile: '[unreadable]', proxy: '[unreadable]' });
  });

  it('for any nesting of objects, arrays, errors, maps, sets and JSON text, lets no contact detail or name through', () => {
    const leaf = fc.constantFrom<unknown>(
      { phone: PHONE },
      { recipient: EMAIL },
      { name: NAME },
      { customer: customer() },
      `reach me at ${PHONE}`,
      `mail ${EMAIL}`,
      new Error(`SMS to ${PHONE} failed`),
      [{ signedBy: NAME }],
    );
    fc.assert(
      fc.property(leaf, fc.array(fc.constantFrom(...Object.keys(WRAPS)), { minLength: 1, maxLength: 120 }), (pii, kinds) => {
        expectNoPii(redactPii(nest(pii, kinds)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the log formatter', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes a deep event, an error chain and a message without any contact detail', () => {
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
    }
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO', logFormatter: new PiiRedactingLogFormatter() });
    const event = nest({ body: JSON.stringify({ data: { customer: customer() } }) }, Array(40).fill('object'));
    logger.info(`Lambda invocation event for ${PHONE}`, { event });
    logger.error('send failed', new Error(`Invalid parameter: PhoneNumber ${PHONE}`, { cause: { email: EMAIL } }));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(RAW.filter((raw) => line.includes(raw))).toEqual([]);
    expect(JSON.parse(lines[0] as string).message).toBe('Lambda invocation event for +34•••••••22');
  });
});
