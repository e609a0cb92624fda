import { Logger } from '@aws-lambda-powertools/logger';
import { PiiRedactingLogFormatter } from './pii-redaction.ts';

/**
 * Shared Powertools logger: JSON lines, service name and level from the template's environment,
 * phone numbers and email addresses masked in every line (pii-redaction.ts).
 */
export const logger = new Logger({ logFormatter: new PiiRedactingLogFormatter() });
