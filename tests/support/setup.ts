import 'aws-sdk-client-mock-vitest/extend';
import { LOCAL_AWS } from '../../emulator/aws-local.ts';
import { TEST_SECRET } from './events.ts';

// Lambda-like environment for every test file. Handlers read these at import.
process.env.AWS_REGION = LOCAL_AWS.region;
process.env.AWS_ACCESS_KEY_ID = LOCAL_AWS.credentials.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = LOCAL_AWS.credentials.secretAccessKey;
process.env.TABLE_NAME ??= 'parcelcast-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_DEV = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
// Handlers run in the test process have no Parameter Store: the ingest takes its secrets inline.
process.env.WEBHOOK_SECRETS = TEST_SECRET;
