import { composeSendSms } from './lib/composition/send-sms.ts';

// SendSmsFunction: the SMS queue → SNS SMS. Composed once per container, at cold start.
export const handler = composeSendSms();
