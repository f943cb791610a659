/**
 * @module test/oracles/paths
 * Finds the third-party oracle captures (never copied into the repo): env FLOWSCOPE_ORACLES, else
 * `../shared/oracles` next to the repository. Says why when they are missing.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function oraclesDir(): string {
  return process.env.FLOWSCOPE_ORACLES ? resolve(process.env.FLOWSCOPE_ORACLES) : resolve(REPO_ROOT, '..', 'shared', 'oracles');
}

/** Null when the oracles are usable, else the reason they are not. */
export function oraclesMissing(): string | null {
  const dir = oraclesDir();
  if (!existsSync(join(dir, 'INDEX.md'))) {
    return `oracle captures not found: ${join(dir, 'INDEX.md')} does not exist (set FLOWSCOPE_ORACLES to the oracles folder)`;
  }
  return null;
}

/**
 * For test files: the reason to skip, or null to run. On CI a missing oracles folder is an error,
 * not a skip, so a broken checkout cannot pass silently.
 */
export function skipReason(): string | null {
  const missing = oraclesMissing();
  if (missing && process.env.CI === 'true') throw new Error(`oracle suite: ${missing} (CI=true, so this fails instead of skipping)`);
  return missing;
}
