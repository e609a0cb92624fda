import { loadTemplate } from './template.ts';

/**
 * Powertools reads its configuration when a Logger or Metrics is built, and the handler modules
 * build theirs (functions/lib/runtime/observability.ts) when first imported, which the local
 * wiring does as stack.ts loads, before startStack() applies any function's environment. Imported
 * first by stack.ts, this module puts the template's Globals for Powertools in place beforehand,
 * with the local choices: no EMF metric lines (CloudWatch's format, noise in a terminal) and WARN
 * unless LOG_LEVEL asks for more.
 */
const globals = (loadTemplate().Globals?.Function?.Environment?.Variables ?? {}) as Record<string, unknown>;
for (const [name, value] of Object.entries(globals)) {
  if (name.startsWith('POWERTOOLS_') && typeof value === 'string') process.env[name] ??= value;
}
/**
 * The local Powertools settings, applied here and again by startStack() after each function's
 * template environment (whose POWERTOOLS_LOG_LEVEL is the deployed default).
 */
export const LOCAL_POWERTOOLS = {
  /** WARN, or LOG_LEVEL (e.g. `LOG_LEVEL=INFO npm start`). */
  POWERTOOLS_LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
  /** EMF lines are for CloudWatch; in a terminal they would only bury the outbox lines. */
  POWERTOOLS_METRICS_DISABLED: 'true',
};
Object.assign(process.env, LOCAL_POWERTOOLS);
