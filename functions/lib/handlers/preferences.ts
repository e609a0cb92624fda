import type { MiddlewareObj } from '@middy/core';
import httpMultipartBodyParser from '@middy/http-multipart-body-parser';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CHANNELS, type Channel } from '#domain/channels.ts';
import { ValidationError } from '#domain/errors.ts';
import { InvalidPreferenceLinkError, PREFERENCE_LEVELS, type PreferenceLevel } from '#domain/preferences.ts';
import { changePreferences, type PreferencePorts, showPreferences } from '#lib/app/manage-preferences.ts';
import { expiredLinkPage, preferencePage, unsubscribedPage } from '#lib/http/preference-page.ts';
import type { Observability } from '#lib/runtime/observability.ts';
import { type HttpHandler, httpHandler } from './middleware.ts';

type HttpMiddleware = MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/** The largest token a link carries (a customer and owner id of 256 bytes each, base64url, and the MAC). */
const MAX_TOKEN_LENGTH = 1200;

function tokenOf(event: APIGatewayProxyEventV2): string {
  const token = event.pathParameters?.token ?? '';
  if (!token || token.length > MAX_TOKEN_LENGTH) throw new InvalidPreferenceLinkError('no token');
  return token;
}

/** The form fields a POST carried, parsed by middy's urlencoded or multipart parser (RFC 8058 allows both). */
function fieldsOf(event: APIGatewayProxyEventV2): Record<string, unknown> {
  const body = event.body as unknown;
  if (body && typeof body === 'object') return body as Record<string, unknown>;
  throw new ValidationError(
    [{ path: 'body', message: 'must be application/x-www-form-urlencoded or multipart/form-data' }],
    'The request carries no form.',
  );
}

const oneOf = <T extends string>(value: unknown, allowed: readonly T[]): value is T =>
  typeof value === 'string' && allowed.includes(value as T);

/**
 * GET and POST /v1/preferences/{token} (PreferencesFunction), with no authorizer: the signed token
 * in the path is the credential (RFC 8058 forbids cookies and authorization on the one-click POST).
 * GET shows the preference page and never changes anything (mail scanners fetch links). POST with
 * `List-Unsubscribe=One-Click` keeps only essential messages on the link's channel; POST from the
 * page's form sets each channel it names. Both answer 200 with a page, never a redirect.
 */
export function preferencesHandler(ports: PreferencePorts, observability: Observability): HttpHandler {
  return httpHandler(observability, {
    // Typed for API Gateway's REST events, they read only `headers`, `body` and `isBase64Encoded`, which HTTP API events share.
    extra: [
      httpUrlencodeBodyParser({ disableContentTypeError: true }) as unknown as HttpMiddleware,
      httpMultipartBodyParser({ disableContentTypeError: true }) as unknown as HttpMiddleware,
    ],
  }).handler(async (request) => {
    const token = tokenOf(request);
    if (request.requestContext.http.method === 'GET') {
      try {
        const { levels } = await showPreferences(ports, token);
        return preferencePage(levels, false);
      } catch (error) {
        if (error instanceof InvalidPreferenceLinkError) return expiredLinkPage();
        throw error;
      }
    }
    const fields = fieldsOf(request);
    if (fields['List-Unsubscribe'] === 'One-Click') {
      const { subject } = await changePreferences(ports, token, { oneClick: true });
      observability.logger.info('one-click unsubscribe', { channel: subject.channel });
      return unsubscribedPage(subject.channel);
    }
    const levels: Partial<Record<Channel, PreferenceLevel>> = {};
    const errors = [];
    for (const channel of CHANNELS) {
      const value = fields[channel];
      if (value === undefined) continue;
      if (oneOf(value, PREFERENCE_LEVELS)) levels[channel] = value;
      else errors.push({ path: channel, message: `must be one of ${PREFERENCE_LEVELS.join(', ')}` });
    }
    if (errors.length > 0) throw new ValidationError(errors, 'The form names a choice that does not exist.');
    if (Object.keys(levels).length === 0) {
      throw new ValidationError(
        [{ path: 'body', message: 'must be List-Unsubscribe=One-Click or name a level for sms or email' }],
        'The form changes nothing.',
      );
    }
    const view = await changePreferences(ports, token, { levels });
    observability.logger.info('preferences changed', { channels: Object.keys(levels) });
    return preferencePage(view.levels, true);
  });
}
