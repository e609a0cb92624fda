import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../emulator/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** One real DynamoDB Local for the whole run; each test file creates its own tables in it. */
export default async function setup(project: TestProject) {
  console.log(`Parcelcast tests on Node ${process.version} (${process.execPath})`);
  const dynamo = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return async () => dynamo.stop();
}
