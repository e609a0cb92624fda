import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { JavaMissingError } from '../emulator/dynamodb-local.ts';
import { DEVELOPMENT_SECRET } from '../support/development-secret.ts';
import { PROJECT_ROOT } from '../support/project.ts';
import { PortInUseError, startStack } from './stack.ts';
import { DEVELOPMENT_WAREHOUSE, type RegistrySource, WarehousesFileError } from './warehouses.ts';

/**
 * `npm start`: the whole pipeline on this machine, no AWS account needed. The only place the
 * local stack reads its settings from the shell: PORT, WAREHOUSES_FILE (else <data dir>/warehouses.json
 * when it exists), WEBHOOK_SECRETS (the development warehouse's secrets), RECONCILE_DELAY_SECONDS
 * (the template's ReconcileDelaySeconds), STALL_ALERT_SECONDS (its StallAlertSeconds: every stall
 * threshold in seconds), SPLIT_ORDER_WINDOW_SECONDS (its SplitOrderWindowSeconds), LOCAL_SMS_OPTED_OUT (comma-separated numbers on the SMS opt-out list),
 * LOCAL_DELIVERY_EVENT_DELAY_SECONDS (how long SES and End User Messaging take to report a
 * delivery, bounce or complaint; 3 by default), LOG_LEVEL and PARCELCAST_DATA_DIR.
 */

const { values } = parseArgs({
  options: {
    persist: { type: 'boolean', default: false },
    // Where the outbox, dead letters and (with --persist) DynamoDB Local's files live.
    'data-dir': { type: 'string', default: process.env.PARCELCAST_DATA_DIR ?? resolve(PROJECT_ROOT, '.local') },
  },
});
const dataDir = resolve(values['data-dir']);

const secretsFromEnvironment = process.env.WEBHOOK_SECRETS;
const defaultFile = resolve(dataDir, 'warehouses.json');
if (process.env.WAREHOUSES_FILE && secretsFromEnvironment) {
  console.error(
    "Parcelcast cannot start: set WAREHOUSES_FILE or WEBHOOK_SECRETS, not both (WEBHOOK_SECRETS is the development warehouse's secrets)",
  );
  process.exit(2);
}
const warehouses: RegistrySource = process.env.WAREHOUSES_FILE
  ? { file: resolve(process.env.WAREHOUSES_FILE) }
  : !secretsFromEnvironment && existsSync(defaultFile)
    ? { file: defaultFile }
    : secretsFromEnvironment
      ? { webhookSecrets: secretsFromEnvironment }
      : {};
try {
  const stack = await startStack({
    port: Number(process.env.PORT ?? 3000),
    warehouses,
    dataDir,
    persistDir: values.persist ? resolve(dataDir, 'dynamodb') : undefined,
    parameterOverrides: {
      ...(process.env.RECONCILE_DELAY_SECONDS ? { ReconcileDelaySeconds: process.env.RECONCILE_DELAY_SECONDS } : {}),
      ...(process.env.STALL_ALERT_SECONDS ? { StallAlertSeconds: process.env.STALL_ALERT_SECONDS } : {}),
      ...(process.env.SPLIT_ORDER_WINDOW_SECONDS ? { SplitOrderWindowSeconds: process.env.SPLIT_ORDER_WINDOW_SECONDS } : {}),
    },
    smsOptedOut: (process.env.LOCAL_SMS_OPTED_OUT ?? '').split(',').filter(Boolean),
    ...(process.env.LOCAL_DELIVERY_EVENT_DELAY_SECONDS
      ? { deliveryEventDelayMs: Number(process.env.LOCAL_DELIVERY_EVENT_DELAY_SECONDS) * 1000 }
      : {}),
    logLevel: process.env.LOG_LEVEL ?? 'WARN',
  });
  console.log(`Parcelcast is running on ${stack.url}`);
  console.log(`  POST ${stack.url}/v1/warehouses/{id}/events  a warehouse's signed CloudEvents`);
  console.log(`  POST ${stack.url}/v1/events          the same, while one warehouse is registered`);
  console.log(`  GET  ${stack.url}/v1/shipments/{id}  a shipment's status and timeline`);
  console.log(`  GET  ${stack.url}/v1/wallets/{id}    a wallet's balance and whether it is confirmed yet`);
  console.log(`  GET  ${stack.url}/local/executions   wallet reconciliations (RECONCILE_DELAY_SECONDS sets the wait)`);
  console.log(`  GET  ${stack.url}/local/schedules    pending stall timers (STALL_ALERT_SECONDS sets every threshold)`);
  console.log(`  GET  ${stack.url}/local/outbox       SMS and email as the providers were handed them; bounce@simulator.amazonses.com,`);
  console.log('                                       +33755512502 and the other AWS simulator contacts report back as on AWS');
  console.log(`  GET  ${stack.url}/health`);
  console.log(`  Dashboard: ${stack.url}/   (npm run simulate posts a day of warehouse traffic)`);
  if (stack.registry.kind === 'file') {
    const ids = stack.registry.ids();
    console.log(`Warehouses from ${stack.registry.file} (followed as it changes): ${ids.length ? ids.join(', ') : 'none'}`);
  } else {
    console.log(
      `No WAREHOUSES_FILE: one development warehouse, "${DEVELOPMENT_WAREHOUSE}", any source, both scopes` +
        (secretsFromEnvironment ? ', signing with WEBHOOK_SECRETS.' : '.'),
    );
    if (!secretsFromEnvironment) console.log(`Development signing secret: ${DEVELOPMENT_SECRET}`);
  }
  console.log(values.persist ? `Data is kept in ${resolve(dataDir, 'dynamodb')}.` : 'Data lives in memory; use --persist to keep it.');
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping DynamoDB Local and the API…`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  if (error instanceof JavaMissingError || error instanceof PortInUseError || error instanceof WarehousesFileError) {
    console.error(`Parcelcast cannot start: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
