/**
 * @module test/oracles/evaluate
 * Replays every catalogued capture of a protocol and compares our records with the oracle's facts,
 * applying the expectations table. Shared by the tests (which assert) and report.ts (which prints).
 */
import { join } from 'node:path';
import type { ProtocolName } from '../../src/records/record.ts';
import { readCatalog } from './catalog.ts';
import type { CatalogEntry } from './catalog.ts';
import { EXPECTATIONS, pinMatches, pinOf } from './expectations.ts';
import type { Expectation } from './expectations.ts';
import { diffValues, formatValue, sameValue } from './facts.ts';
import type { Fact, FactValue } from './facts.ts';
import { replayCapture } from './pipeline.ts';
import { readTsharkCounts } from './readers/tshark.ts';
import { oracleFacts } from './rules.ts';

export interface FactResult {
  fact: Fact;
  actual: FactValue;
  matchesOracle: boolean;
  expectation: Expectation | undefined;
  /** Holds when ours equals the oracle, or equals the pinned value of a known difference. */
  ok: boolean;
  /** Why not ok, for test messages. */
  problem: string | null;
}

export type FileStatus = 'pass' | 'difference' | 'bug' | 'failing';

export interface FileResult {
  entry: CatalogEntry;
  facts: FactResult[];
  notes: string[];
  replayError: string | null;
  replayErrorExpectation: Expectation | undefined;
  recordCount: number;
  status: FileStatus;
}

function expectationFor(file: string, fact: string): Expectation | undefined {
  return EXPECTATIONS.find((e) => e.file === file && e.fact === fact);
}

function judge(entry: CatalogEntry, fact: Fact, actual: FactValue): FactResult {
  const matchesOracle = sameValue(actual, fact.expected);
  const expectation = expectationFor(entry.file, fact.name);
  let problem: string | null = null;
  if (!expectation && !matchesOracle) {
    problem = `${fact.name}: differs from ${fact.from}: ${diffValues(fact.expected, actual)}`;
  } else if (expectation && matchesOracle) {
    problem = `${fact.name}: now matches ${fact.from}; remove the expectation ("${expectation.reason}")`;
  } else if (expectation && !pinMatches(expectation.ours, actual)) {
    const pin = expectation.ours;
    const was = typeof pin === 'object' && !Array.isArray(pin) ? `sha256 ${pin.sha256}` : formatValue(pin);
    problem = `${fact.name}: changed from the pinned known-${expectation.kind} value (${was}) to ${formatValue(actual)} (oracle: ${formatValue(fact.expected)}); pin: ${JSON.stringify(pinOf(actual))}`;
  }
  return { fact, actual, matchesOracle, expectation, ok: problem === null, problem };
}

export async function evaluateEntry(entry: CatalogEntry, oraclesDir: string, tshark = readTsharkCounts(oraclesDir)): Promise<FileResult> {
  const { facts, notes } = oracleFacts(entry, oraclesDir, tshark);
  const replayed = await replayCapture(join(oraclesDir, entry.file));
  const results = facts.map((f) => judge(entry, f, f.ours(replayed.records)));
  const replayErrorExpectation = replayed.error ? expectationFor(entry.file, '(replay error)') : undefined;
  const failing = results.some((r) => !r.ok) || (replayed.error !== null && !replayErrorExpectation);
  const kinds = [...results.map((r) => r.expectation?.kind), replayErrorExpectation?.kind];
  const status: FileStatus = failing ? 'failing' : kinds.includes('bug') ? 'bug' : kinds.includes('difference') ? 'difference' : 'pass';
  return {
    entry, facts: results, notes, replayError: replayed.error, replayErrorExpectation,
    recordCount: replayed.records.length, status,
  };
}

export async function evaluateProtocol(protocol: ProtocolName, oraclesDir: string): Promise<FileResult[]> {
  const tshark = readTsharkCounts(oraclesDir);
  const out: FileResult[] = [];
  for (const entry of readCatalog(oraclesDir).filter((e) => e.protocol === protocol)) out.push(await evaluateEntry(entry, oraclesDir, tshark));
  return out;
}

/** Test-failure text for one capture, or null when it conforms (or differs only as pinned). */
export function failureMessage(result: FileResult): string | null {
  const problems = result.facts.filter((f) => !f.ok).map((f) => f.problem!);
  if (result.replayError && !result.replayErrorExpectation) problems.unshift(`replay error: ${result.replayError}`);
  return problems.length ? `${result.entry.file}:\n  ${problems.join('\n  ')}` : null;
}
