import { composeSendEmail } from './lib/composition/send-email.ts';

// SendEmailFunction: the email queue → SES. Composed once per container, at cold start.
export const handler = composeSendEmail();
