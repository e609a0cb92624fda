import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { composeIngestEvents } from '../../functions/lib/composition/ingest-events.ts';
import { verifierFor } from '../../functions/lib/http/webhook-signature.ts';
import { OTHER_SECRET, postEvents, shipmentCreated, TEST_SECRET } from '../support/events.ts';

// Where IngestFunction's signing secrets come from on AWS: the SSM SecureString its
// WEBHOOK_SECRETS_PARAMETER names, read with decryption through Powertools' cache.

const ssm = mockClient(SSMClient);
const dynamo = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  ssm.reset();
  dynamo.reset();
});

describe('IngestFunction composed with the secrets in SSM', () => {
  it('verifies with the parameter’s secrets, read once and decrypted', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: `${OTHER_SECRET},${TEST_SECRET}` } });
    dynamo.on(BatchGetCommand).resolves({ Responses: {} });
    dynamo.on(PutCommand).resolves({});
    const ingest = composeIngestEvents({ TABLE_NAME: 'parcelcast-test', WEBHOOK_SECRETS_PARAMETER: '/parcelcast/test/webhook-secrets' });

    const first = await ingest(postEvents(shipmentCreated('shp-ssm-1')), lambdaContext('IngestFunction'));
    const second = await ingest(postEvents(shipmentCreated('shp-ssm-2'), { secret: OTHER_SECRET }), lambdaContext('IngestFunction'));

    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input)).toEqual([
      { Name: '/parcelcast/test/webhook-secrets', WithDecryption: true },
    ]);
  });

  it('answers 500, not 401, while the parameter is empty: a misconfiguration, not a bad signature', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '' } });
    const ingest = composeIngestEvents({ TABLE_NAME: 'parcelcast-test', WEBHOOK_SECRETS_PARAMETER: '/parcelcast/test/empty' });

    const response = await ingest(postEvents(shipmentCreated('shp-ssm-3')), lambdaContext('IngestFunction'));

    expect(response.statusCode).toBe(500);
    expect(dynamo.calls()).toEqual([]);
  });
});

describe('verifierFor', () => {
  it('builds a verifier again only when the secret list changes (a rotation)', async () => {
    let list = TEST_SECRET;
    const current = verifierFor(async () => list);

    const first = await current();
    const same = await current();
    list = `${TEST_SECRET},${OTHER_SECRET}`;
    const rotated = await current();

    expect(same).toBe(first);
    expect(rotated).not.toBe(first);
  });
});
