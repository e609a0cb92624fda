import 'aws-sdk-client-mock-vitest/extend';
import { LOCAL_AWS } from '../../emulator/aws-local.ts';
import { projectTemplate } from '../../support/project.ts';
import { TEST_SECRET } from './events.ts';

// Lambda-like environment for every test file. Handlers read these at import.
process.env.AWS_REGION = LOCAL_AWS.region;
process.env.AWS_ACCESS_KEY_ID = LOCAL_AWS.credentials.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = LOCAL_AWS.credentials.secretAccessKey;
process.env.TABLE_NAME ??= 'parcelcast-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_DEV = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
// Handlers run in the test process have no Parameter Store: the development warehouse (any
// source, both scopes) signs with TEST_SECRET, given inline.
process.env.WEBHOOK_SECRETS = TEST_SECRET;
// The warehouse limits and the registry's cache time as template.yaml's parameters default them.
const parameters = projectTemplate().Parameters ?? {};
const defaults: Record<string, string> = {
  WAREHOUSE_REGISTRY_CACHE_SECONDS: 'WarehouseRegistryCacheSeconds',
  WAREHOUSE_REQUESTS_PER_SECOND: 'WarehouseRequestsPerSecond',
  WAREHOUSE_REQUEST_BURST: 'WarehouseRequestBurst',
  WAREHOUSE_NOTIFICATIONS_PER_DAY: 'WarehouseNotificationsPerDay',
};
for (const [variable, parameter] of Object.entries(defaults)) process.env[variable] = String(parameters[parameter]?.Default);
