import { ConfigurationError } from '#domain/errors.ts';

/** Reads a required environment variable once, at start, failing with its name when missing. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is required`);
  return value;
}
