/**
 * Content-filter patterns as AWS evaluates them for Lambda event filtering (FilterCriteria)
 * and SNS subscription filter policies: keys AND together, the values in a key's array OR
 * together, and an array in the message matches when any element does.
 *
 * Written by hand because no maintained npm package implements these semantics; it covers
 * the operators the AWS documentation lists for both services: exact values, prefix, suffix,
 * equals-ignore-case, anything-but (value, list, prefix, suffix), exists, numeric and $or.
 */

type Pattern = { [key: string]: unknown };

export function matchesPattern(pattern: Pattern, message: unknown): boolean {
  if (Array.isArray(pattern.$or)) {
    const { $or, ...rest } = pattern;
    return ($or as Pattern[]).some((branch) => matchesPattern(branch, message)) && matchesPattern(rest, message);
  }
  const record = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, rule]) => {
    const value = record[key];
    if (Array.isArray(rule)) return matchesRules(rule, value, key in record);
    if (typeof rule === 'object' && rule !== null) return matchesPattern(rule as Pattern, value);
    throw new Error(`filter pattern value for "${key}" must be an array or an object`);
  });
}

function matchesRules(rules: unknown[], value: unknown, present: boolean): boolean {
  const candidates = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (typeof rule === 'object' && rule !== null && 'exists' in rule) {
      return (rule as { exists: boolean }).exists === (present && value !== undefined);
    }
    if (!present) return false;
    return candidates.some((candidate) => matchesRule(rule, candidate));
  });
}

function matchesRule(rule: unknown, value: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return rule === value;
  const operator = rule as Record<string, unknown>;
  if ('prefix' in operator) return matchesAffix(operator.prefix, value, (text, affix) => text.startsWith(affix));
  if ('suffix' in operator) return matchesAffix(operator.suffix, value, (text, affix) => text.endsWith(affix));
  if ('equals-ignore-case' in operator) {
    return typeof value === 'string' && value.toLowerCase() === String(operator['equals-ignore-case']).toLowerCase();
  }
  if ('anything-but' in operator) {
    const excluded = operator['anything-but'];
    if (Array.isArray(excluded)) return !excluded.includes(value);
    if (typeof excluded === 'object' && excluded !== null) return value !== undefined && !matchesRule(excluded, value);
    return value !== excluded;
  }
  if ('numeric' in operator) return matchesNumeric(operator.numeric as unknown[], value);
  throw new Error(`unsupported filter operator ${JSON.stringify(rule)}`);
}

function matchesAffix(affix: unknown, value: unknown, test: (text: string, affix: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (typeof affix === 'object' && affix !== null && 'equals-ignore-case' in affix) {
    return test(value.toLowerCase(), String((affix as Record<string, unknown>)['equals-ignore-case']).toLowerCase());
  }
  return test(value, String(affix));
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function matchesNumeric(conditions: unknown[], value: unknown): boolean {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (Number.isNaN(number)) return false;
  for (let index = 0; index < conditions.length; index += 2) {
    const compare = COMPARISONS[String(conditions[index])];
    if (!compare?.(number, Number(conditions[index + 1]))) return false;
  }
  return true;
}
