import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoSuppressionList } from '../functions/lib/adapters/dynamo-suppression-list.ts';
import { CHANNELS, type Channel } from '../functions/lib/domain/channels.ts';
import { contactDigest, type SuppressionEntry } from '../functions/lib/domain/suppression.ts';
import { parseCommandLine } from '../support/cli.ts';
import { PROJECT_ROOT } from '../support/project.ts';

/**
 * The operator's hand on Parcelcast's suppression list (docs/notifications.md, "Suppression"):
 * `list` what is suppressed (masked contacts, reasons, since when), `clear` a contact a customer
 * has confirmed works again. Against the running `npm start` (the table and endpoint it writes to
 * .local/stack.json), or a deployed stack's table with the usual AWS credentials (`--table`).
 * Clearing Parcelcast's list does not clear the providers' own: docs/deployment.md says how.
 */

export const USAGE = `usage: npm run suppression -- list [--channel sms|email] [--table NAME] [--endpoint URL] [--json]
       npm run suppression -- clear <sms|email> <phone or address> [--table NAME] [--endpoint URL]
       npm run suppression -- clear <sms|email> --digest <sha256 hex> [--table NAME] [--endpoint URL]

Without --table: the table of the local stack \`npm start\` is running (.local/stack.json).
With --table: that DynamoDB table, with the usual AWS credentials and region (AWS_PROFILE, AWS_REGION).`;

export interface Target {
  tableName: string;
  endpoint?: string;
}

/** The table to work on: the one named, else the running local stack's. */
export function targetOf(options: { table?: string; endpoint?: string; dataDir?: string }): Target | undefined {
  if (options.table) return { tableName: options.table, ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
  const file = join(options.dataDir ?? join(PROJECT_ROOT, '.local'), 'stack.json');
  if (!existsSync(file)) return undefined;
  const stack = JSON.parse(readFileSync(file, 'utf8')) as { tableName: string; dynamoEndpoint: string };
  return { tableName: stack.tableName, endpoint: options.endpoint ?? stack.dynamoEndpoint };
}

export function suppressionList(target: Target): DynamoSuppressionList {
  const client = new DynamoDBClient({
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    // DynamoDB Local takes any credentials; AWS takes the operator's own, from the usual chain.
    ...(target.endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return new DynamoSuppressionList(DynamoDBDocumentClient.from(client), target.tableName);
}

export function formatEntries(entries: SuppressionEntry[]): string {
  if (entries.length === 0) return 'Nothing is suppressed.';
  return entries
    .map((entry) =>
      [entry.channel.padEnd(5), entry.masked.padEnd(24), entry.reason.padEnd(14), entry.since, entry.digest, entry.source ?? '']
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = { name: 'npm run suppression', usage: USAGE };
  const { values, positionals, fail } = parseCommandLine(command, {
    allowPositionals: true,
    options: {
      channel: { type: 'string' },
      table: { type: 'string' },
      endpoint: { type: 'string' },
      digest: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [action, channelText, contact, ...extra] = positionals;
  if (action !== 'list' && action !== 'clear')
    fail(action ? `unknown command ${action}: list or clear` : 'a command is required: list or clear');
  if (extra.length > 0) fail(`unexpected argument ${extra[0]}`);
  const channelOf = (text: string | undefined): Channel => {
    if (!CHANNELS.includes(text as Channel)) fail(`the channel must be sms or email${text ? `, got ${text}` : ''}`);
    return text as Channel;
  };
  const target =
    targetOf({ table: values.table, endpoint: values.endpoint }) ??
    fail('no --table given and no local stack is running (.local/stack.json): start one with npm start, or name the table');

  const list = suppressionList(target);
  try {
    if (action === 'list') {
      if (channelText || contact) fail('list takes no arguments; --channel narrows it');
      const channel = values.channel === undefined ? undefined : channelOf(values.channel);
      const entries = (await list.list()).filter((entry) => !channel || entry.channel === channel);
      console.log(values.json ? JSON.stringify(entries, null, 2) : formatEntries(entries));
    } else {
      const channel = channelOf(channelText);
      if (Boolean(contact) === Boolean(values.digest)) fail('clear takes the contact or --digest, one of them');
      const digest = values.digest ?? contactDigest(channel, contact as string);
      if (!/^[0-9a-f]{64}$/.test(digest)) fail('--digest must be the 64 hex characters `list` shows');
      const cleared = await list.clear(channel, digest);
      console.log(cleared ? `Cleared: ${channel} ${digest} may be written to again.` : `Not suppressed: ${channel} ${digest}.`);
      process.exitCode = cleared ? 0 : 1;
    }
  } catch (error) {
    // An AWS answer (no credentials, no such table, access denied) is the operator's to read, not a stack trace.
    console.error(`npm run suppression: ${(error as Error).name}: ${(error as Error).message}`);
    process.exit(1);
  }
}
