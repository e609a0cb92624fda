import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { maskEmail, maskPhone, redactText } from '#domain/masking.ts';

/**
 * No contact details in logs: phone numbers and email addresses are masked wherever they appear,
 * under a known key (phone, email, recipient, …) or inside free text such as an error message;
 * names are masked under the keys that carry them. Fails closed: the walk is iterative, so no
 * nesting overflows its stack or stops it early with the rest left raw; a cycle becomes
 * `[Circular]`, a value that cannot be read `[unreadable]`, anything nested deeper than
 * JSON.stringify can reliably write (MAX_LOGGED_DEPTH) `[nested too deep to log]`, and a log line
 * whose redaction fails is written without its attributes rather than with them raw.
 *
 * Written by hand: Powertools for AWS Lambda (TypeScript) has no data-masking utility (the Python
 * edition's has not been ported), and the Logger's JSON replacer sees one key at a time, without
 * the key an array's items sit under or the JSON inside a string.
 */

const CONTACT_KEYS = /^(phone|phonenumber|email|emailaddress|recipient|to|toaddresses|destination)$/i;
const NAME_KEYS = /^(name|customername|signedby|fullname|firstname|lastname|givenname|familyname)$/i;
/** `"name": "Ana García"` inside text that is not JSON as a whole (a truncated body, a message). */
const NAME_FIELD = /("(?:name|customerName|signedBy|fullName|firstName|lastName|givenName|familyName)"\s*:\s*")((?:[^"\\]|\\.)*)"/gi;
/** Strings longer than this are not parsed as JSON (API Gateway bodies are at most 256 KiB after all). */
const MAX_JSON_TEXT = 1024 * 1024;

const CIRCULAR = '[Circular]';
const UNREADABLE = '[unreadable]';
const TOO_DEEP = '[nested too deep to log]';
/**
 * V8's JSON.stringify recurses and overflows a few thousand levels down, which would throw out of
 * the logger into the handler; values deeper than this are withheld instead.
 */
export const MAX_LOGGED_DEPTH = 1000;

function maskContact(value: string): string {
  return value.includes('@') ? maskEmail(value) : maskPhone(value);
}

function maskName(value: string): string {
  const first = Array.from(value)[0];
  return first === undefined ? value : `${first}•••`;
}

function redactFreeText(text: string): string {
  return redactText(text).replace(NAME_FIELD, (_, start: string, name: string) => `${start}${maskName(name)}"`);
}

/**
 * A string as it may be logged. JSON inside a string (an API Gateway body, an SQS message, an SNS
 * message inside that) is parsed and walked like any other value, so keys inside it mask too.
 */
function redactString(value: string, key: string): string {
  if (CONTACT_KEYS.test(key)) return maskContact(value);
  if (NAME_KEYS.test(key)) return maskName(value);
  const start = value.trimStart()[0];
  if ((start === '{' || start === '[') && value.length <= MAX_JSON_TEXT) {
    try {
      return JSON.stringify(redactPii(JSON.parse(value)));
    } catch {
      // Not JSON after all (or too deep for JSON.parse): masked as text below.
    }
  }
  return redactFreeText(value);
}

type Container = Record<string, unknown> | unknown[];

/** Sets a key even when it is `__proto__` (JSON.parse makes that an own key; assigning it would set the prototype). */
function put(container: Container, key: string | number, value: unknown): void {
  Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The children of an error: its text masked, its cause, an AggregateError's errors, and any own fields (an SDK error's `$metadata`). */
function errorEntries(error: Error): [string, unknown][] {
  const entries: [string, unknown][] = [['message', error.message]];
  if (error.stack) entries.push(['stack', error.stack]);
  if (error.cause !== undefined) entries.push(['cause', error.cause]);
  if (error instanceof AggregateError) entries.push(['errors', error.errors]);
  for (const [key, value] of Object.entries(error)) {
    if (!['name', 'message', 'stack', 'cause', 'errors'].includes(key)) entries.push([key, value]);
  }
  return entries;
}

interface Visit {
  value: unknown;
  /** The key the value sits under; an array's items inherit the array's. */
  key: string;
  depth: number;
  assign: (redacted: unknown) => void;
}

/**
 * A copy of `value` with every contact detail masked; errors become plain objects with masked
 * text. Depth-first with an explicit stack, tracking the objects on the current path to cut cycles.
 */
export function redactPii(value: unknown): unknown {
  let result: unknown;
  const work: (Visit | { leave: object })[] = [{ value, key: '', depth: 0, assign: (redacted) => (result = redacted) }];
  const onPath = new Set<object>();
  while (work.length > 0) {
    const next = work.pop() as Visit | { leave: object };
    if ('leave' in next) {
      onPath.delete(next.leave);
      continue;
    }
    const { value: current, key, depth, assign } = next;
    if (depth > MAX_LOGGED_DEPTH) {
      assign(TOO_DEEP);
      continue;
    }
    if (typeof current === 'string') {
      assign(redactString(current, key));
      continue;
    }
    if (current === null || typeof current !== 'object' || current instanceof Date) {
      assign(current);
      continue;
    }
    if (onPath.has(current)) {
      assign(CIRCULAR);
      continue;
    }
    let container: Container;
    let children: [string | number, unknown, string][];
    try {
      if (current instanceof Error) {
        container = { name: redactFreeText(String(current.name)) };
        children = errorEntries(current).map(([name, child]) => [name, child, name]);
      } else if (Array.isArray(current) || current instanceof Set) {
        const items = Array.from(current as Iterable<unknown>);
        container = new Array(items.length);
        children = items.map((item, index) => [index, item, key]);
      } else if (current instanceof Map) {
        container = {};
        children = Array.from(current, ([name, item]) => [String(name), item, String(name)]);
      } else if (ArrayBuffer.isView(current)) {
        assign(`[${current.constructor.name} of ${current.byteLength} bytes]`);
        continue;
      } else if (typeof (current as { toJSON?: unknown }).toJSON === 'function') {
        // What JSON.stringify would write (a URL's href, a Decimal's digits), redacted in turn.
        work.push({ value: (current as { toJSON: (key: string) => unknown }).toJSON(key), key, depth, assign });
        continue;
      } else {
        container = {};
        children = Object.entries(current).map(([name, item]) => [name, item, name]);
      }
    } catch {
      assign(UNREADABLE);
      continue;
    }
    const target = container;
    for (const [slot] of children) put(target, slot, undefined); // keys in their original order
    assign(target);
    onPath.add(current);
    work.push({ leave: current });
    for (let index = children.length - 1; index >= 0; index -= 1) {
      const [slot, child, childKey] = children[index] as [string | number, unknown, string];
      work.push({ value: child, key: childKey, depth: depth + 1, assign: (redacted) => put(target, slot, redacted) });
    }
  }
  return result;
}

/** The Powertools log structure, with `redactPii` applied to the message and every attribute. */
export class PiiRedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    let message: unknown;
    let additional: LogAttributes;
    try {
      message = redactPii(attributes.message);
      additional = redactPii(additionalLogAttributes) as LogAttributes;
    } catch {
      message = '[log line withheld: its attributes could not be redacted]';
      additional = {};
    }
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message,
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
    }).addAttributes(additional);
  }
}
