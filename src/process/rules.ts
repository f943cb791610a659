/**
 * @module process/rules
 * Service-name rules: a small text file that overrides the derived service name of processes.
 *
 * Format, one rule per line, first match wins; `#` starts a comment:
 *
 *     match <field> <glob> -> service <name>
 *
 * `field` is one of `comm` (process name), `exe` (executable path), `container` (container id),
 * `pid`; `glob` uses `*` (any run of characters) and `?` (one character). Example:
 *
 *     match comm nginx* -> service frontend
 *     match exe /usr/bin/python3* -> service orders-api
 *     match container 3f2a* -> service cache
 */

export type RuleField = 'comm' | 'exe' | 'container' | 'pid';

export interface ServiceRule {
  field: RuleField;
  glob: string;
  service: string;
  matcher: RegExp;
}

export interface RuleParseResult {
  rules: ServiceRule[];
  /** Lines that are not rules, with their 1-based line number: reported, never thrown. */
  errors: string[];
}

const FIELDS: readonly RuleField[] = ['comm', 'exe', 'container', 'pid'];
const RULE = /^match\s+(\S+)\s+(\S+)\s+->\s+service\s+(\S+)$/;

/** What a rule can look at for one process. */
export interface RuleSubject {
  pid: number;
  comm: string;
  exe: string | null;
  container: string | null;
}

export function parseRules(text: string): RuleParseResult {
  const rules: ServiceRule[] = [];
  const errors: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, '').trim();
    if (!line) continue;
    const m = RULE.exec(line);
    if (!m) {
      errors.push(`line ${i + 1}: expected "match <field> <glob> -> service <name>", got "${line}"`);
      continue;
    }
    const field = m[1] as RuleField;
    if (!FIELDS.includes(field)) {
      errors.push(`line ${i + 1}: unknown field "${m[1]}" (one of ${FIELDS.join(', ')})`);
      continue;
    }
    rules.push({ field, glob: m[2]!, service: m[3]!, matcher: globToRegExp(m[2]!) });
  }
  return { rules, errors };
}

/** The service of the first rule matching `subject`, or null. */
export function matchService(rules: readonly ServiceRule[], subject: RuleSubject): string | null {
  for (const rule of rules) {
    const value = rule.field === 'pid' ? String(subject.pid) : subject[rule.field];
    if (value !== null && rule.matcher.test(value)) return rule.service;
  }
  return null;
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
