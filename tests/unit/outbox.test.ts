import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalOutbox } from '../../local/outbox.ts';
import { terminalText } from '../../local/terminal-text.ts';

// The local outbox prints one terminal line per message; whatever a client of the local SNS and SES
// endpoints sends, nothing in it reaches the terminal as a control character.

const dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-outbox-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const CONTROL = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
const hostile = 'Hi\r\n\u001b[2J\u001b]0;owned\u0007 \u009b31m\u202eevil\u2066 end\u007f';

describe('the outbox terminal line', () => {
  it('escapes CR, LF, ESC and every other control or bidi character, keeping the rest as sent', () => {
    const printed: string[] = [];
    const outbox = new LocalOutbox({ dataDir, print: (line) => printed.push(line) });

    outbox.sms.send({ phoneNumber: '+34600111222\n[outbox] sms   → +1', message: hostile, attributes: {} });
    outbox.email.send({
      from: 'n@parcelcast.example',
      to: ['a@example.com'],
      subject: `Your parcel${hostile}`,
      text: 'body',
      tags: {},
      headers: {},
      messageId: 'm-1',
    });

    expect(printed).toHaveLength(2);
    for (const line of printed) {
      expect(line).not.toMatch(CONTROL);
      expect(line).toContain('Hi\\r\\n\\u001b[2J\\u001b]0;owned\\u0007 \\u009b31m\\u202eevil\\u2066 end\\u007f');
    }
    // What was handed over is kept as it was, for the dashboard and outbox.jsonl.
    expect(outbox.list()[0]?.text).toBe(hostile);
    expect(JSON.parse(readFileSync(outbox.file, 'utf8').split('\n')[0] as string).text).toBe(hostile);
  });

  it('leaves ordinary text, accents, emoji and masked contacts as they are', () => {
    expect(terminalText('Parcelcast: tu pedido ha salido · 12,99 € 😀 +34•••••••22')).toBe(
      'Parcelcast: tu pedido ha salido · 12,99 € 😀 +34•••••••22',
    );
  });
});

describe('the outbox list', () => {
  it('tells how each SMS travels, measured when read, and keeps the file as received', () => {
    const outbox = new LocalOutbox({ dataDir, print: () => undefined });
    outbox.textMessages.send({
      phoneNumber: '+34600111222',
      message: 'a'.repeat(161),
      messageId: 't-1',
      messageType: 'TRANSACTIONAL',
      context: {},
    });
    outbox.textMessages.send({ phoneNumber: '+34600111222', message: '📦'.repeat(36), messageId: 't-2', context: {} });

    const [long, emoji] = outbox.list().slice(-2);
    expect(long?.sms).toEqual({ encoding: 'GSM-7', segments: 2, units: 161, type: 'TRANSACTIONAL' });
    expect(emoji?.sms).toEqual({ encoding: 'UCS-2', segments: 2, units: 72 });
    expect(outbox.list().at(-1)).toEqual(emoji);
    const lines = readFileSync(outbox.file, 'utf8').trim().split('\n').slice(-2);
    expect(lines.map((line) => JSON.parse(line).sms)).toEqual([{ type: 'TRANSACTIONAL' }, undefined]);
  });
});
