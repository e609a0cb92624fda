import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoPreferences } from '#adapters/dynamo-preferences.ts';
import { SsmSecretList } from '#adapters/ssm-secret-list.ts';
import { preferencesHandler } from '#lib/handlers/preferences.ts';
import { dynamoClient, ssmClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** PreferencesFunction (GET and POST /v1/preferences/{token}), composed once per container. */
export function composePreferences(settings: Settings<'preferences'> = loadSettings('preferences')) {
  const observability = createObservability();
  const { tracer } = observability;
  return preferencesHandler(
    {
      preferences: new DynamoPreferences(documentClient(dynamoClient(tracer)), settings.TABLE_NAME),
      secrets: new SsmSecretList(ssmClient(tracer), settings.PREFERENCE_SECRETS_PARAMETER).read,
      clock: () => new Date(),
    },
    observability,
  );
}
