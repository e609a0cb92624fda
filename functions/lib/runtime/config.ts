import * as z from 'zod/mini';
import { ConfigurationError } from '#domain/errors.ts';

/**
 * Every function's configuration, and the only code in functions/ that reads `process.env`.
 * Each composition root parses its function's settings once, at cold start, against the schema
 * below: a missing or malformed variable stops the container with an error that names it,
 * instead of a NaN or an `undefined` surfacing in the first request. The variables are the
 * template's `Environment.Variables` (Globals included); AWS endpoints and region are not here,
 * the SDK reads them itself (AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>).
 */

const REQUIRED = { error: 'is required' };

const text = z.string(REQUIRED).check(z.minLength(1, REQUIRED));
const optionalText = z.optional(z.string());

/** A whole number of seconds in [min, max], written as the template passes it: decimal digits. */
function seconds(min: number, max: number) {
  const expected = { error: `must be a whole number of seconds from ${min} to ${max}` };
  return z.pipe(
    z.pipe(z.string(REQUIRED).check(z.regex(/^\d{1,9}$/, expected)), z.transform(Number)),
    z.number().check(z.minimum(min, expected), z.maximum(max, expected)),
  );
}

/** A whole number in [min, max], written as the template passes it: decimal digits. */
function whole(min: number, max: number, unit?: string) {
  const expected = { error: `must be a whole number ${unit ? `of ${unit} ` : ''}from ${min} to ${max}` };
  return z.pipe(
    z.pipe(z.string(REQUIRED).check(z.regex(/^\d{1,10}$/, expected)), z.transform(Number)),
    z.number().check(z.minimum(min, expected), z.maximum(max, expected)),
  );
}

/**
 * Where the warehouse registry is (docs/warehouses.md): the SSM path holding one SecureString per
 * warehouse, cached this many seconds (how long a rotation or a revocation takes to reach every
 * container), and the limits of a warehouse whose registration sets none.
 */
const registry = {
  WAREHOUSE_REGISTRY_PATH: optionalText,
  WAREHOUSE_REGISTRY_CACHE_SECONDS: seconds(1, 3600),
};
const notificationCap = { WAREHOUSE_NOTIFICATIONS_PER_DAY: whole(0, 1_000_000_000) };

/**
 * Stall timers (docs/alerts.md), read by the stream router, which arms them, and the stall-alert
 * function, which they fire. The template's StallAlertHours allows 1 to 8760; StallAlertSeconds,
 * 0 (off) to 31536000, replaces every status's threshold when above 0.
 */
const stallTimers = {
  STALL_ALERT_HOURS: whole(1, 8760, 'hours'),
  STALL_ALERT_SECONDS: z.optional(whole(0, 31_536_000, 'seconds')),
  STALL_SCHEDULE_GROUP: text,
  STALL_TIMER_QUEUE_ARN: text,
  STALL_SCHEDULER_ROLE_ARN: text,
};

/** The settings of each function, by the name of its entry point (functions/<name>.ts, Handler `<name>.handler`). */
export const FUNCTION_SETTINGS = {
  'ingest-events': z
    .object({
      TABLE_NAME: text,
      ...registry,
      /** The development warehouse's comma-separated `whsec_…` secrets (the local stack's shorthand); wins over the registry. */
      WEBHOOK_SECRETS: optionalText,
      WAREHOUSE_REQUESTS_PER_SECOND: whole(1, 1_000_000),
      WAREHOUSE_REQUEST_BURST: whole(1, 1_000_000),
      ...notificationCap,
    })
    .check(
      z.refine((settings) => Boolean(settings.WEBHOOK_SECRETS || settings.WAREHOUSE_REGISTRY_PATH), {
        error: 'or WEBHOOK_SECRETS must be set: where the warehouses are registered',
        path: ['WAREHOUSE_REGISTRY_PATH'],
      }),
    ),
  'get-shipment': z.object({ TABLE_NAME: text }),
  'get-wallet': z.object({ TABLE_NAME: text }),
  // Without a registry (the WEBHOOK_SECRETS shorthand) every warehouse has the default cap.
  'stream-router': z.object({
    TABLE_NAME: text,
    NOTIFICATIONS_TOPIC_ARN: text,
    ...registry,
    ...notificationCap,
    ...stallTimers,
    /** Split orders (docs/alerts.md): the SplitOrderWindow state machine, and its wait (SplitOrderWindowSeconds, 1 to 3600). */
    SPLIT_ORDER_STATE_MACHINE_ARN: text,
    SPLIT_ORDER_WINDOW_SECONDS: seconds(1, 3600),
  }),
  // A combined message counts against its owner's daily cap as the stream router's messages do.
  'close-order-window': z.object({ TABLE_NAME: text, NOTIFICATIONS_TOPIC_ARN: text, ...registry, ...notificationCap }),
  // A stall alert counts against its owner's daily cap as the stream router's messages do.
  'stall-alert': z.object({ TABLE_NAME: text, NOTIFICATIONS_TOPIC_ARN: text, ...registry, ...notificationCap, ...stallTimers }),
  'send-sms': z.object({
    TABLE_NAME: text,
    SMS_QUEUE_URL: text,
    /** The End User Messaging pool every SMS is sent from, and the configuration set that returns its receipts. */
    SMS_ORIGINATION_IDENTITY: text,
    SMS_CONFIGURATION_SET: text,
    /** Where a fallback to email is published. */
    NOTIFICATIONS_TOPIC_ARN: text,
  }),
  'send-email': z.object({
    TABLE_NAME: text,
    EMAIL_FROM_ADDRESS: text,
    EMAIL_CONFIGURATION_SET: optionalText,
    NOTIFICATIONS_TOPIC_ARN: text,
    /** The API's public base URL, which the preference links in every email point at. */
    PREFERENCES_BASE_URL: text,
    /** The SSM SecureString holding the preference links' signing secrets. */
    PREFERENCE_SECRETS_PARAMETER: text,
  }),
  'record-delivery': z.object({ TABLE_NAME: text, NOTIFICATIONS_TOPIC_ARN: text }),
  preferences: z.object({ TABLE_NAME: text, PREFERENCE_SECRETS_PARAMETER: text }),
  // The template's ReconcileDelaySeconds allows 1 to 86400.
  'start-reconciliation': z.object({ STATE_MACHINE_ARN: text, RECONCILE_DELAY_SECONDS: seconds(1, 86_400) }),
  'reconcile-wallet': z.object({ TABLE_NAME: text }),
} as const;

export type FunctionName = keyof typeof FUNCTION_SETTINGS;
export type Settings<F extends FunctionName> = z.output<(typeof FUNCTION_SETTINGS)[F]>;

/**
 * Whether Powertools' Tracer would trace in this environment, by its own rule: only on Lambda
 * (AWS_EXECUTION_ENV set, and not Amplify's mock), never under SAM CLI (AWS_SAM_LOCAL) or with
 * POWERTOOLS_TRACE_ENABLED=false. observability.ts loads the Tracer only when this holds: importing
 * it imports the X-Ray SDK, which installs async hooks at once that slow every await in the process,
 * tracing or not. tests/unit/config.test.ts holds the rule to the Tracer's own decision.
 */
export function tracingEnabled(environment: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const executionEnvironment = environment.AWS_EXECUTION_ENV ?? '';
  return (
    executionEnvironment !== '' &&
    executionEnvironment !== 'AWS_Lambda_amplify-mock' &&
    (environment.AWS_SAM_LOCAL ?? '') === '' &&
    (environment.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() !== 'false'
  );
}

/** The variables a function's settings read, for checking them against the template. */
export function settingNames(name: FunctionName): string[] {
  return Object.keys(FUNCTION_SETTINGS[name].def.shape);
}

/**
 * Parses the settings of function `name` from `environment` (the process's, on Lambda). Empty
 * values count as unset, as CloudFormation passes an empty parameter. Throws ConfigurationError
 * naming every variable that is missing or malformed, never echoing a value (some are secrets).
 */
export function loadSettings<F extends FunctionName>(
  name: F,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Settings<F> {
  const schema = FUNCTION_SETTINGS[name];
  const raw = Object.fromEntries(settingNames(name).map((variable) => [variable, environment[variable] || undefined]));
  const result = schema.safeParse(raw);
  if (result.success) return result.data as Settings<F>;
  const problems = result.error.issues.map((issue) => `environment variable ${String(issue.path[0] ?? '')} ${issue.message}`);
  throw new ConfigurationError(`${name}: ${problems.join('; ')}`);
}

/** The stall thresholds' settings, as the domain takes them. */
export function stallSettingsOf(settings: { STALL_ALERT_HOURS: number; STALL_ALERT_SECONDS?: number | undefined }): {
  alertHours: number;
  overrideSeconds?: number;
} {
  return {
    alertHours: settings.STALL_ALERT_HOURS,
    ...(settings.STALL_ALERT_SECONDS ? { overrideSeconds: settings.STALL_ALERT_SECONDS } : {}),
  };
}

/** Where stall timers' schedules live and whom they fire, as the Scheduler adapter takes it. */
export function stallScheduleSettingsOf(settings: Settings<'stream-router'> | Settings<'stall-alert'>) {
  return {
    groupName: settings.STALL_SCHEDULE_GROUP,
    queueArn: settings.STALL_TIMER_QUEUE_ARN,
    roleArn: settings.STALL_SCHEDULER_ROLE_ARN,
  };
}
