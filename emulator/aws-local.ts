/**
 * The account the emulator plays: one region, one made-up account id, credentials that only have
 * to exist (DynamoDB Local and the local endpoints check none), and the ARNs of its resources.
 * Every local ARN is built here, so a test, a tool or the emulator names a resource the same way.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

/** Client settings for any AWS SDK client talking to the emulator or DynamoDB Local; nothing leaves the machine. */
export const LOCAL_AWS = { region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;

const scope = `${LOCAL_REGION}:${LOCAL_ACCOUNT}`;

export const localArn = {
  function: (name: string) => `arn:aws:lambda:${scope}:function:${name}`,
  topic: (name: string) => `arn:aws:sns:${scope}:${name}`,
  queue: (name: string) => `arn:aws:sqs:${scope}:${name}`,
  stateMachine: (name: string) => `arn:aws:states:${scope}:stateMachine:${name}`,
  execution: (stateMachineName: string, executionName: string) => `arn:aws:states:${scope}:execution:${stateMachineName}:${executionName}`,
  table: (name: string) => `arn:aws:dynamodb:${scope}:table/${name}`,
  role: (name: string) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`,
  key: (id: string) => `arn:aws:kms:${scope}:key/${id}`,
  scheduleGroup: (name: string) => `arn:aws:scheduler:${scope}:schedule-group/${name}`,
  /** An End User Messaging SMS resource: `pool`, `phone-number`, `configuration-set`, `opt-out-list`. */
  smsVoice: (type: string, id: string) => `arn:aws:sms-voice:${scope}:${type}/${id}`,
} as const;

/** A queue's URL as SQS forms it: `<endpoint>/<account>/<name>`. */
export const localQueueUrl = (endpoint: string, name: string) => `${endpoint.replace(/\/$/, '')}/${LOCAL_ACCOUNT}/${name}`;

/** Where the local Scheduler is: its ARNs' region and account. */
export const LOCAL_SCOPE = scope;

/** A queue's URL at `endpoint` from its ARN (`arn:aws:sqs:<region>:<account>:<name>`), in any account: no GetQueueUrl call, which a function's role may not be allowed. */
export function queueUrlOfArn(endpoint: string, queueArn: string): string {
  const [, , , , account, name] = queueArn.split(':');
  if (!account || !name) throw new Error(`not an SQS queue ARN: ${queueArn}`);
  return `${endpoint.replace(/\/$/, '')}/${account}/${name}`;
}

/** The resource name at the end of an ARN (a function, topic, queue or state machine). */
export const nameOfArn = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
