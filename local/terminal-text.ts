/**
 * Text from outside (a client of the local endpoints, a message a function was handed) made safe
 * for one terminal line: every control character (C0, DEL, C1: CR, LF, ESC and the rest) and every
 * bidirectional formatting character is written as its escape (`\n`, `\r`, `\t`, `\u001b`, `\u202e`),
 * so nothing printed can end the line, move the cursor, recolour or retitle the terminal, or reorder
 * what is shown. Hand-written: a dozen lines, and the terminal-sanitising packages strip what should
 * stay visible.
 */
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function terminalText(text: string): string {
  return text.replace(
    UNSAFE,
    (character) => NAMED[character] ?? `\\u${(character.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
}
