/**
 * What the local AWS endpoints share: the error every protocol turns into its own wire form
 * (a JSON `__type`, a Query `<ErrorResponse>`, a REST-JSON `x-amzn-errortype`), and the message
 * attribute SQS and SNS both carry. The services import nothing from the rest of the emulator,
 * which composes them.
 */

/** A message attribute as SQS and SNS take it in their APIs (and Lambda's SQS event carries it). */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
}

export class AwsError extends Error {
  readonly status: number;
  readonly code: string;
  /** The awsQueryCompatible code SQS also sends (`x-amzn-query-error`), when it differs. */
  readonly queryCode: string | undefined;
  /** Members of the error shape beyond its message (a ConflictException's `Reason`), sent in JSON bodies. */
  readonly details: Record<string, string> | undefined;

  constructor(status: number, code: string, message: string, queryCode?: string, details?: Record<string, string>) {
    super(message);
    this.name = code;
    this.status = status;
    this.code = code;
    this.queryCode = queryCode;
    this.details = details;
  }
}

export const awsError = (status: number, code: string, message: string, queryCode?: string, details?: Record<string, string>) =>
  new AwsError(status, code, message, queryCode, details);

/** Escapes text for an XML element. */
export const xmlText = (value: unknown) =>
  String(value).replace(/[<>&'"]/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[char] as string);
