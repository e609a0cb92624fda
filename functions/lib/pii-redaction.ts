import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { maskEmail, maskPhone, redactText } from '#domain/masking.ts';

/**
 * No contact details in logs: phone numbers and email addresses are masked wherever they appear,
 * under a known key (phone, email, recipient, …) or inside free text such as an error message.
 */

const CONTACT_KEYS = /^(phone|phonenumber|email|emailaddress|recipient|to|toaddresses|destination)$/i;
const NAME_KEYS = /^(name|customername)$/i;
const MAX_DEPTH = 8;

function maskContact(value: string): string {
  return value.includes('@') ? maskEmail(value) : maskPhone(value);
}

/** A copy of `value` with every contact detail masked; errors become plain objects with masked text. */
export function redactPii(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'string') {
    if (CONTACT_KEYS.test(key)) return maskContact(value);
    if (NAME_KEYS.test(key)) return value.length > 0 ? `${value[0]}•••` : value;
    return redactText(value);
  }
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactText(value.message),
      ...(value.stack ? { stack: redactText(value.stack) } : {}),
      ...(value.cause !== undefined ? { cause: redactPii(value.cause, 'cause', depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redactPii(item, key, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redactPii(item, name, depth + 1)]));
}

/** The Powertools log structure, with `redactPii` applied to the message and every attribute. */
export class PiiRedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: typeof attributes.message === 'string' ? redactText(attributes.message) : attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_arn: attributes.lambdaContext?.invokedFunctionArn,
        function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
        function_name: attributes.lambdaContext?.functionName,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(redactPii(additionalLogAttributes) as LogAttributes);
  }
}
