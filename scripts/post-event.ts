import { readFileSync } from 'node:fs';
import { apiGatewayEvent } from '../emulator/lambda-events.ts';
import { WAREHOUSE_ID } from '../functions/lib/domain/warehouse.ts';
import { parseCommandLine } from '../support/cli.ts';
import { DEVELOPMENT_SECRET } from '../support/development-secret.ts';
import { eventsPath, signedRequest } from '../support/signing.ts';

/**
 * Signs sample events the way a warehouse does (Standard Webhooks) and
 *   posts them:                 npm run post -- events/shipment-created.json [more.json …]
 *   prints a curl command:      npm run --silent post -- --curl events/shipment-created.json
 *   prints an API GW envelope:  npm run --silent post -- --envelope events/shipment-created.json > /tmp/e.json
 *                               (for `sam local invoke IngestFunction -e /tmp/e.json`; valid for 5 minutes)
 * Several files are sent as one batch, as `--warehouse <id>` to its own path
 * (/v1/warehouses/<id>/events), else to /v1/events (a deployment with one warehouse, such as
 * `npm start`'s development one). The secret is WEBHOOK_SECRET (first of WEBHOOK_SECRETS), else the
 * local stack's development secret.
 */

const { values, positionals, fail } = parseCommandLine(
  { name: 'npm run post', usage: 'usage: npm run post -- [--curl | --envelope] [--url URL] [--warehouse ID] events/<file>.json [...]' },
  {
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.PARCELCAST_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
      curl: { type: 'boolean', default: false },
      envelope: { type: 'boolean', default: false },
      warehouse: { type: 'string' },
    },
  },
);
if (positionals.length === 0) fail('name at least one event file');
if (values.curl && values.envelope) fail('--curl and --envelope are two different outputs; choose one');
if (!/^https?:\/\//.test(values.url) || !URL.canParse(values.url)) fail(`--url must be an http(s) URL, got ${values.url}`);
if (values.warehouse !== undefined && !WAREHOUSE_ID.test(values.warehouse))
  fail(`--warehouse must be a warehouse id such as ams-1, got ${values.warehouse}`);

const secret = process.env.WEBHOOK_SECRET ?? process.env.WEBHOOK_SECRETS?.split(',')[0]?.trim() ?? DEVELOPMENT_SECRET;
const events = positionals.map((file) => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return fail(`${file} is not JSON: ${(error as Error).message}`);
  }
});
const { body, headers } = signedRequest(events.length === 1 ? events[0] : events, secret);
const path = eventsPath(values.warehouse);
const endpoint = `${values.url.replace(/\/$/, '')}${path}`;

if (values.envelope) {
  const route =
    values.warehouse === undefined
      ? { routePath: path }
      : { routePath: '/v1/warehouses/{warehouseId}/events', pathParameters: { warehouseId: values.warehouse } };
  console.log(JSON.stringify(apiGatewayEvent({ method: 'POST', path, headers, body, ...route }), null, 2));
} else if (values.curl) {
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const flags = Object.entries(headers).map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`);
  console.log(`curl -sS -X POST ${quote(endpoint)} ${flags.join(' ')} --data-binary ${quote(body)}`);
} else {
  const response = await fetch(endpoint, { method: 'POST', headers, body }).catch((error: Error) => {
    const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code ?? (error.cause as Error | undefined)?.message ?? error.message;
    console.error(`npm run post: cannot reach ${endpoint} (${cause}); is \`npm start\` running, or is --url right?`);
    process.exit(1);
  });
  console.log(`${response.status} ${await response.text()}`);
  process.exitCode = response.ok ? 0 : 1;
}
