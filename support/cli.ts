import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * The command line of every `npm run` script: node:util's parseArgs, strict, and one answer to a
 * usage mistake (an unknown option, an option without its value, a missing or unexpected
 * argument): one line saying what is wrong, then the usage, exit code 2, never a stack trace.
 * `--help` (`-h`) prints the usage and exits 0.
 */

export interface Command {
  /** How the user runs it, e.g. `npm run post`: the error line starts with it. */
  name: string;
  /** The usage text, starting `usage: …`. */
  usage: string;
}

export type CommandLine<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>> & {
  /** A usage mistake found after parsing (a required option missing, a value out of range). */
  fail(message: string): never;
};

/** Exits 2 after one line naming the mistake and the usage. */
export function usageError(command: Command, message: string): never {
  process.stderr.write(`${command.name}: ${message}\n${command.usage}\n`);
  process.exit(2);
}

export function parseCommandLine<T extends ParseArgsConfig>(command: Command, config: T): CommandLine<T> {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs({
      ...config,
      strict: true,
      options: { ...config.options, help: { type: 'boolean', short: 'h' } },
    }) as unknown as ReturnType<typeof parseArgs<T>>;
  } catch (error) {
    // parseArgs throws TypeErrors with an ERR_PARSE_ARGS_* code for what the user typed; anything else is a bug.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) usageError(command, (error as Error).message);
    throw error;
  }
  if ((parsed.values as Record<string, unknown>).help === true) {
    process.stdout.write(`${command.usage}\n`);
    process.exit(0);
  }
  return { ...parsed, fail: (message: string) => usageError(command, message) };
}
