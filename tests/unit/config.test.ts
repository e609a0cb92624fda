import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../functions/lib/domain/errors.ts';
import { loadSettings, stallSettingsOf } from '../../functions/lib/runtime/config.ts';

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
    expect(
      loadSettings('send-email', { TABLE_NAME: 't', EMAIL_FROM_ADDRESS: 'n@parcelcast.example', EMAIL_CONFIGURATION_SET: '' }),
    ).toEqual({
      TABLE_NAME: 't',
      EMAIL_FROM_ADDRESS: 'n@parcelcast.example',
    });
  });

  it('wants the signing secrets inline or as a parameter, and never quotes a value', () => {
    const secret = 'whsec_c2VjcmV0LW5ldmVyLWluLWFuLWVycm9y';
    expect(() => loadSettings('ingest-events', { TABLE_NAME: 't' })).toThrow(
      'ingest-events: environment variable WEBHOOK_SECRETS_PARAMETER or WEBHOOK_SECRETS must be set to the signing secrets',
    );
    expect(() => loadSettings('ingest-events', { WEBHOOK_SECRETS: secret })).toThrow(/^(?!.*whsec_).*TABLE_NAME is required$/);
    expect(loadSettings('ingest-events', { TABLE_NAME: 't', WEBHOOK_SECRETS_PARAMETER: '/p' })).toEqual({
      TABLE_NAME: 't',
      WEBHOOK_SECRETS_PARAMETER: '/p',
    });
  });

  it('reads only its own variables', () => {
    const stalls = { STALL_SCHEDULE_GROUP: 'g', STALL_TIMER_QUEUE_ARN: 'arn:queue', STALL_SCHEDULER_ROLE_ARN: 'arn:role' };
    expect(
      loadSettings('stream-router', {
        NOTIFICATIONS_TOPIC_ARN: 'arn:topic',
        TABLE_NAME: 't',
        SMS_QUEUE_URL: 'q',
        STALL_ALERT_HOURS: '48',
        STALL_ALERT_SECONDS: '0',
        ...stalls,
      }),
    ).toEqual({ NOTIFICATIONS_TOPIC_ARN: 'arn:topic', TABLE_NAME: 't', STALL_ALERT_HOURS: 48, STALL_ALERT_SECONDS: 0, ...stalls });
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
