import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { apiGatewayEvent } from '../emulator/lambda-events.ts';
import { DEVELOPMENT_SECRET } from '../support/development-secret.ts';
import { signedRequest } from '../support/signing.ts';

/**
 * Signs sample events the way a warehouse does (Standard Webhooks) and
 *   posts them:                 npm run post -- events/shipment-created.json [more.json …]
 *   prints a curl command:      npm run --silent post -- --curl events/shipment-created.json
 *   prints an API GW envelope:  npm run --silent post -- --envelope events/shipment-created.json > /tmp/e.json
 *                               (for `sam local invoke IngestFunction -e /tmp/e.json`; valid for 5 minutes)
 * Several files are sent as one batch. The secret is WEBHOOK_SECRET (first of WEBHOOK_SECRETS),
 * else the local stack's development secret.
 */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.PARCELCAST_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
    curl: { type: 'boolean', default: false },
    envelope: { type: 'boolean', default: false },
  },
});
if (positionals.length === 0) {
  console.error('usage: npm run post -- [--curl | --envelope] [--url URL] events/<file>.json [...]');
  process.exit(2);
}

const secret = process.env.WEBHOOK_SECRET ?? process.env.WEBHOOK_SECRETS?.split(',')[0]?.trim() ?? DEVELOPMENT_SECRET;
const events = positionals.map((file) => JSON.parse(readFileSync(file, 'utf8')) as unknown);
const { body, headers } = signedRequest(events.length === 1 ? events[0] : events, secret);
const endpoint = `${values.url.replace(/\/$/, '')}/v1/events`;

if (values.envelope) {
  console.log(JSON.stringify(apiGatewayEvent({ method: 'POST', routePath: '/v1/events', path: '/v1/events', headers, body }), null, 2));
} else if (values.curl) {
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const flags = Object.entries(headers).map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`);
  console.log(`curl -sS -X POST ${quote(endpoint)} ${flags.join(' ')} --data-binary ${quote(body)}`);
} else {
  const response = await fetch(endpoint, { method: 'POST', headers, body });
  console.log(`${response.status} ${await response.text()}`);
  process.exitCode = response.ok ? 0 : 1;
}
