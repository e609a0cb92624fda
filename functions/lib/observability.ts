import { Logger } from '@aws-lambda-powertools/logger';

/** Shared Powertools logger: JSON lines, service name and level from the template's environment. */
export const logger = new Logger();
