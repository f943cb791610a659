/**
 * @module store/sql-guard
 * Admits user SQL to the read-only SQL endpoint. Two layers: this lexical check, which rejects
 * anything that is not one SELECT/WITH/SHOW/DESCRIBE/EXPLAIN statement or that could change how
 * it runs (SETTINGS, FORMAT, INTO OUTFILE, heredocs), and then `readonly=1` plus row, time and
 * memory limits appended as the query's own SETTINGS, which the engine enforces.
 *
 * Why both: in the embedded engine a subquery's own `SETTINGS readonly=0` overrides the outer
 * readonly=1, and `INTO OUTFILE` writes files even in readonly mode (both observed with chdb
 * 3.4 / ClickHouse 26.7), and `DESCRIBE file(...)` reads files to infer a schema.
 */

export type SqlCheck = { ok: true; sql: string; statement: string } | { ok: false; reason: string };

const ALLOWED_FIRST = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN']);
const FORBIDDEN_WORDS = new Map<string, string>([
  ['SETTINGS', 'SETTINGS clauses are not allowed (limits are set by the server)'],
  ['FORMAT', 'FORMAT clauses are not allowed (the API returns JSON)'],
  ['OUTFILE', 'INTO OUTFILE is not allowed'],
  ['INFILE', 'FROM INFILE is not allowed'],
]);

export interface SqlLimits {
  /** Most rows a result may have; more is an error, not a silent cut. Default 10 000. */
  maxRows?: number;
  /** Longest a query may run, in seconds. Default 10. */
  maxSeconds?: number;
  /** Most memory a query may use, in bytes. Default 1 GiB. */
  maxMemoryBytes?: number;
}

/** Words outside strings, quoted identifiers and comments, with punctuation as single tokens. */
function tokenize(sql: string): { tokens: string[] } | { error: string } {
  const tokens: string[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return { error: 'unterminated /* comment' };
      i = end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= n) return { error: `unterminated ${c === "'" ? 'string' : 'quoted identifier'}` };
        const d = sql[j]!;
        if (d === '\\') j += 2;
        else if (d === c && sql[j + 1] === c) j += 2;
        else if (d === c) break;
        else j++;
      }
      tokens.push(c === "'" ? "'" : 'IDENT');
      i = j + 1;
    } else if (c === '#' || c === '$') {
      // '#' comments and $$ heredoc strings are read differently by engine versions; no query needs them.
      return { error: `'${c}' is not allowed outside strings` };
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(sql[j]!)) j++;
      tokens.push(sql.slice(i, j).toUpperCase());
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(sql[j]!)) j++;
      tokens.push('NUM');
      i = j;
    } else {
      tokens.push(c);
      i++;
    }
  }
  return { tokens };
}

/** Accept one read-only statement, with trailing semicolons removed, or say why not. */
export function checkReadOnlySql(input: unknown): SqlCheck {
  if (typeof input !== 'string') return { ok: false, reason: 'sql must be a string' };
  if (input.length > 100_000) return { ok: false, reason: 'sql is longer than 100000 characters' };
  const lexed = tokenize(input);
  if ('error' in lexed) return { ok: false, reason: lexed.error };
  let tokens = lexed.tokens;
  let end = tokens.length;
  while (end > 0 && tokens[end - 1] === ';') end--;
  tokens = tokens.slice(0, end);
  if (tokens.length === 0) return { ok: false, reason: 'sql is empty' };
  if (tokens.includes(';')) return { ok: false, reason: 'only one statement is allowed' };
  const first = tokens[0]!;
  if (!ALLOWED_FIRST.has(first)) return { ok: false, reason: `only SELECT, WITH, SHOW, DESCRIBE and EXPLAIN are allowed, not ${first.length <= 20 ? first : 'this statement'}` };
  for (const t of tokens) {
    const why = FORBIDDEN_WORDS.get(t);
    if (why) return { ok: false, reason: why };
  }
  if ((first === 'DESCRIBE' || first === 'DESC' || first === 'SHOW') && tokens.includes('(')) {
    return { ok: false, reason: `${first} of a table function is not allowed` };
  }
  // Cut the trailing semicolons and comments from the text so the appended SETTINGS attach to it.
  const sql = stripTrailing(input);
  const again = tokenize(sql);
  if (!('tokens' in again) || again.tokens.includes(';')) return { ok: false, reason: 'only one statement is allowed' };
  return { ok: true, sql, statement: first === 'DESC' ? 'DESCRIBE' : first };
}

/** Remove trailing whitespace, semicolons and `--` comments (after lexing proved them trailing). */
function stripTrailing(sql: string): string {
  let s = sql;
  for (;;) {
    const before = s;
    s = s.replace(/[\s;]+$/, '');
    const lastLine = s.lastIndexOf('\n');
    const tail = s.slice(lastLine + 1);
    const dash = tail.indexOf('--');
    if (dash >= 0) {
      // Only cut when the '--' is outside any string: the text before it must lex on its own.
      const lexed = tokenize(s.slice(0, lastLine + 1 + dash));
      if ('tokens' in lexed) s = s.slice(0, lastLine + 1 + dash);
    }
    if (s.endsWith('*/')) {
      const open = s.lastIndexOf('/*');
      if (open >= 0 && 'tokens' in tokenize(s.slice(0, open))) s = s.slice(0, open);
    }
    if (s === before) return s;
  }
}

/** The statement with the engine-enforced limits attached; `readonly` last so it cannot be undone. */
export function withReadOnlyLimits(sql: string, limits: SqlLimits = {}): string {
  const maxRows = Math.floor(limits.maxRows ?? 10_000);
  const maxSeconds = Math.floor(limits.maxSeconds ?? 10);
  const maxMemory = Math.floor(limits.maxMemoryBytes ?? 1024 ** 3);
  return `${sql}\nSETTINGS max_result_rows = ${maxRows}, result_overflow_mode = 'throw', ` +
    `max_execution_time = ${maxSeconds}, max_memory_usage = ${maxMemory}, readonly = 1`;
}
