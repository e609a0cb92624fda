import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Channel } from '#domain/channels.ts';
import type { PreferenceLevel } from '#domain/preferences.ts';

/**
 * The preference page behind every link (GET /v1/preferences/{token}): what the customer chose per
 * channel and a form that changes it with a POST to the same address. Plain HTML with no script,
 * served so that the token in its address leaks nowhere: no referrer, no caching, no framing.
 */

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

const LABELS: Record<Channel, string> = { email: 'Email', sms: 'Text messages (SMS)' };
const CHOICES: Record<PreferenceLevel, string> = {
  all: 'Every shipment update',
  essential: 'Only essential messages: a delivery that failed, a correction to my wallet balance',
};

function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}fieldset{margin:1rem 0}button{padding:.4rem 1rem}</style>',
    `</head><body><h1>${title}</h1>`,
    body,
    '</body></html>',
  ].join('\n');
}

export function preferencePage(levels: Record<Channel, PreferenceLevel>, saved: boolean, status = 200): APIGatewayProxyStructuredResultV2 {
  const fieldsets = (Object.keys(LABELS) as Channel[]).map((channel) =>
    [
      `<fieldset><legend>${LABELS[channel]}</legend>`,
      ...(Object.keys(CHOICES) as PreferenceLevel[]).map(
        (level) =>
          `<label><input type="radio" name="${channel}" value="${level}"${levels[channel] === level ? ' checked' : ''}> ${CHOICES[level]}</label><br>`,
      ),
      '</fieldset>',
    ].join('\n'),
  );
  const body = [
    ...(saved ? ['<p role="status"><strong>Your choice is saved.</strong></p>'] : []),
    '<p>Choose what Parcelcast tells you about your parcels.</p>',
    '<form method="post">',
    ...fieldsets,
    '<button type="submit">Save</button>',
    '</form>',
  ].join('\n');
  return { statusCode: status, headers: HEADERS, body: page('Your notification preferences', body) };
}

export function expiredLinkPage(): APIGatewayProxyStructuredResultV2 {
  const body = '<p>This link is not valid any more. The next message we send you carries a new one.</p>';
  return { statusCode: 404, headers: HEADERS, body: page('Link expired', body) };
}

/** The answer to a one-click unsubscribe (RFC 8058): no redirect, nothing for a mail client to follow. */
export function unsubscribedPage(channel: Channel): APIGatewayProxyStructuredResultV2 {
  const body = `<p>You will get only essential messages by ${channel === 'sms' ? 'text message' : 'email'} from now on.</p>`;
  return { statusCode: 200, headers: HEADERS, body: page('Unsubscribed', body) };
}
