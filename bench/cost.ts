/**
 * Public us-east-1 on-demand prices, as assumptions dated 2026-11-28 (check the AWS pricing pages
 * before quoting them anywhere else). SMS and email are priced per destination country and
 * separately; they are counted here, not priced.
 */
export const PRICES_DATE = '2026-11-28';
export const PRICES = {
  dynamoWriteRequestUnit: 0.625 / 1e6,
  dynamoReadRequestUnit: 0.125 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  snsPublish: 0.5 / 1e6,
  sqsRequest: 0.4 / 1e6,
  stepFunctionsTransition: 25 / 1e6,
} as const;

export const PRICE_NOTES = [
  `DynamoDB on-demand: $0.625 per million write request units, $0.125 per million read request units (after the late-2024 price cut).`,
  `Lambda arm64: $0.20 per million requests, $0.0000133334 per GB-second.`,
  `SNS standard topic: $0.50 per million publish requests, each 64 KB of payload billed as one; SNS to SQS delivery is free.`,
  `SQS standard: $0.40 per million requests.`,
  `Step Functions Standard: $25 per million state transitions.`,
  `SMS (SNS) and email (SES, $0.10 per 1,000) are priced separately; their counts per event are given instead.`,
];

export interface PerEvent {
  writeUnits: number;
  readUnits: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  snsPublishes: number;
  sqsRequests: number;
  stepFunctionsTransitions: number;
}

export function costPerMillion(perEvent: PerEvent) {
  const lines = {
    'DynamoDB writes': perEvent.writeUnits * PRICES.dynamoWriteRequestUnit,
    'DynamoDB reads': perEvent.readUnits * PRICES.dynamoReadRequestUnit,
    'Lambda requests': perEvent.lambdaInvocations * PRICES.lambdaRequest,
    'Lambda duration': perEvent.lambdaGbSeconds * PRICES.lambdaArmGbSecond,
    'SNS publishes': perEvent.snsPublishes * PRICES.snsPublish,
    'SQS requests': perEvent.sqsRequests * PRICES.sqsRequest,
    'Step Functions transitions': perEvent.stepFunctionsTransitions * PRICES.stepFunctionsTransition,
  };
  const perMillion = Object.fromEntries(Object.entries(lines).map(([name, dollars]) => [name, dollars * 1e6]));
  return { perMillion, total: Object.values(perMillion).reduce((sum, value) => sum + value, 0) };
}
