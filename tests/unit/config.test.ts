import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../functions/lib/domain/errors.ts';
import { loadSettings, stallSettingsOf, tracingEnabled } from '../../functions/lib/runtime/config.ts';
import { PROJECT_ROOT } from '../../support/project.ts';

// The one reader of process.env in functions/: each function's settings, parsed once at cold start.

describe('function settings', () => {
  it('parses numbers as numbers', () => {
    expect(loadSettings('start-reconciliation', { STATE_MACHINE_ARN: 'arn:sm', RECONCILE_DELAY_SECONDS: '90' })).toEqual({
      STATE_MACHINE_ARN: 'arn:sm',
      RECONCILE_DELAY_SECONDS: 90,
    });
  });

  it.each(['ninety', '', '0', '-5', '1.5', '86401', '9e3'])('refuses RECONCILE_DELAY_SECONDS=%j, naming the variable', (value) => {
    expect(() => loadSettings('start-reconciliation', { STATE_MACHINE_ARN: 'arn:sm', RECONCILE_DELAY_SECONDS: value })).toThrow(
      new ConfigurationError(
        value === ''
          ? 'start-reconciliation: environment variable RECONCILE_DELAY_SECONDS is required'
          : 'start-reconciliation: environment variable RECONCILE_DELAY_SECONDS must be a whole number of seconds from 1 to 86400',
      ),
    );
  });

  it('names every missing variable at once', () => {
    expect(() => loadSettings('send-email', {})).toThrow(
      'send-email: environment variable TABLE_NAME is required; environment variable EMAIL_FROM_ADDRESS is required',
    );
  });

  it('counts an empty value as unset, as CloudFormation passes an empty parameter', () => {
    const required = {
      TABLE_NAME: 't',
      EMAIL_FROM_ADDRESS: 'n@parcelcast.example',
      NOTIFICATIONS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic',
      PREFERENCES_BASE_URL: 'https://api.parcelcast.example',
      PREFERENCE_SECRETS_PARAMETER: '/parcelcast/dev/preference-link-secrets',
    };
    expect(loadSettings('send-email', { ...required, EMAIL_CONFIGURATION_SET: '' })).toEqual(required);
  });

  const limits = {
    WAREHOUSE_REGISTRY_CACHE_SECONDS: '300',
    WAREHOUSE_REQUESTS_PER_SECOND: '50',
    WAREHOUSE_REQUEST_BURST: '200',
    WAREHOUSE_NOTIFICATIONS_PER_DAY: '10000',
  };

  it('wants the warehouse registry as an SSM path or the development warehouse inline, and never quotes a value', () => {
    const secret = 'whsec_c2VjcmV0LW5ldmVyLWluLWFuLWVycm9y';
    expect(() => loadSettings('ingest-events', { TABLE_NAME: 't', ...limits })).toThrow(
      'ingest-events: environment variable WAREHOUSE_REGISTRY_PATH or WEBHOOK_SECRETS must be set: where the warehouses are registered',
    );
    expect(() => loadSettings('ingest-events', { WEBHOOK_SECRETS: secret, ...limits })).toThrow(/^(?!.*whsec_).*TABLE_NAME is required$/);
    expect(loadSettings('ingest-events', { TABLE_NAME: 't', WAREHOUSE_REGISTRY_PATH: '/p', ...limits })).toEqual({
      TABLE_NAME: 't',
      WAREHOUSE_REGISTRY_PATH: '/p',
      WAREHOUSE_REGISTRY_CACHE_SECONDS: 300,
      WAREHOUSE_REQUESTS_PER_SECOND: 50,
      WAREHOUSE_REQUEST_BURST: 200,
      WAREHOUSE_NOTIFICATIONS_PER_DAY: 10000,
    });
  });

  it.each(['0', '-1', '1.5', 'many', ''])('refuses WAREHOUSE_REQUESTS_PER_SECOND=%j, naming the variable', (value) => {
    expect(() =>
      loadSettings('ingest-events', { TABLE_NAME: 't', WAREHOUSE_REGISTRY_PATH: '/p', ...limits, WAREHOUSE_REQUESTS_PER_SECOND: value }),
    ).toThrow(/^ingest-events: environment variable WAREHOUSE_REQUESTS_PER_SECOND (is required|must be a whole number from 1 to 1000000)$/);
  });

  it('reads only its own variables', () => {
    const stalls = { STALL_SCHEDULE_GROUP: 'g', STALL_TIMER_QUEUE_ARN: 'arn:queue', STALL_SCHEDULER_ROLE_ARN: 'arn:role' };
    const orders = { SPLIT_ORDER_STATE_MACHINE_ARN: 'arn:sm' };
    expect(
      loadSettings('stream-router', {
        NOTIFICATIONS_TOPIC_ARN: 'arn:topic',
        TABLE_NAME: 't',
        SMS_QUEUE_URL: 'q',
        WAREHOUSE_REGISTRY_CACHE_SECONDS: '300',
        WAREHOUSE_NOTIFICATIONS_PER_DAY: '10000',
        WAREHOUSE_REQUEST_BURST: '200',
        STALL_ALERT_HOURS: '48',
        STALL_ALERT_SECONDS: '0',
        ...stalls,
        ...orders,
        SPLIT_ORDER_WINDOW_SECONDS: '600',
      }),
    ).toEqual({
      NOTIFICATIONS_TOPIC_ARN: 'arn:topic',
      TABLE_NAME: 't',
      WAREHOUSE_REGISTRY_CACHE_SECONDS: 300,
      WAREHOUSE_NOTIFICATIONS_PER_DAY: 10000,
      STALL_ALERT_HOURS: 48,
      STALL_ALERT_SECONDS: 0,
      ...orders,
      SPLIT_ORDER_WINDOW_SECONDS: 600,
      ...stalls,
    });
  });

  it('takes every stall threshold from STALL_ALERT_SECONDS only when it is above 0', () => {
    const base = { STALL_ALERT_HOURS: 48 };
    expect([
      stallSettingsOf(base),
      stallSettingsOf({ ...base, STALL_ALERT_SECONDS: 0 }),
      stallSettingsOf({ ...base, STALL_ALERT_SECONDS: 3 }),
    ]).toEqual([{ alertHours: 48 }, { alertHours: 48 }, { alertHours: 48, overrideSeconds: 3 }]);
  });
});

describe('a function whose environment is wrong', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails at cold start, naming the variable, before any request', async () => {
    vi.stubEnv('STATE_MACHINE_ARN', 'arn:aws:states:us-east-1:000000000000:stateMachine:WalletReconciliation');
    vi.stubEnv('RECONCILE_DELAY_SECONDS', 'ninety');

    await expect(import('../../functions/start-reconciliation.ts')).rejects.toThrow(/RECONCILE_DELAY_SECONDS must be a whole number/);
  });
});

describe('tracing, decided before the Tracer is loaded', () => {
  const variables = ['AWS_EXECUTION_ENV', 'AWS_SAM_LOCAL', 'POWERTOOLS_TRACE_ENABLED'] as const;
  const environments: Partial<Record<(typeof variables)[number], string>>[] = [
    {},
    { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' },
    { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_SAM_LOCAL: 'true' },
    { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'false' },
    { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'FALSE' },
    { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'true' },
    { AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' },
    { AWS_SAM_LOCAL: 'true' },
  ];

  afterEach(() => vi.unstubAllEnvs());

  it.each(environments)('agrees with the Tracer itself in %j', async (environment) => {
    const { Tracer } = await import('@aws-lambda-powertools/tracer');
    for (const variable of variables) vi.stubEnv(variable, environment[variable] ?? '');

    expect(tracingEnabled(environment)).toBe(new Tracer().isTracingEnabled());
  });

  // In a fresh process, as a Lambda container or a local worker loads the function.
  const loadsXRay = (environment: Record<string, string>) =>
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         await import(${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'functions/get-wallet.ts')).href)});
         const cache = createRequire(import.meta.url).cache;
         process.stdout.write(String(Object.keys(cache).some((path) => path.includes('/aws-xray-sdk-core/'))));`,
      ],
      { env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', TABLE_NAME: 't', ...environment }, encoding: 'utf8' },
    );

  it('leaves the Tracer and the X-Ray SDK (and its async hooks) unloaded where it would not trace, and loads them on Lambda', () => {
    expect(loadsXRay({})).toBe('false');
    expect(loadsXRay({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_SAM_LOCAL: 'true' })).toBe('false');
    expect(loadsXRay({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' })).toBe('true');
  });
});
