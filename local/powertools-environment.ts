import { loadTemplate } from './template.ts';

/**
 * Powertools reads its configuration when a Logger or Metrics is built, and the handler modules
 * build their shared ones (functions/lib/observability.ts) when first imported, which the local
 * wiring does as stack.ts loads, before startStack() applies any function's environment. Imported
 * first by stack.ts, this module puts the template's Globals for Powertools in place beforehand,
 * with the local choices: no EMF metric lines (CloudWatch's format, noise in a terminal) and WARN
 * unless LOG_LEVEL asks for more.
 */
const globals = (loadTemplate().Globals?.Function?.Environment?.Variables ?? {}) as Record<string, unknown>;
for (const [name, value] of Object.entries(globals)) {
  if (name.startsWith('POWERTOOLS_') && typeof value === 'string') process.env[name] ??= value;
}
/** The handlers' log level locally: WARN, or LOG_LEVEL (e.g. `LOG_LEVEL=DEBUG npm start`). */
export const LOCAL_LOG_LEVEL = process.env.LOG_LEVEL ?? 'WARN';
process.env.POWERTOOLS_LOG_LEVEL = LOCAL_LOG_LEVEL;
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
