/**
 * @module bench/overhead/profile
 * Summarises a V8 CPU profile (node --cpu-prof) by self time per function, heaviest first.
 *
 *   node --import tsx bench/overhead/profile.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** Self time per function (name + file:line), from the samples and their time deltas. */
export function selfTimes(profile: Profile): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const perNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    // A sample's delta is the time since the previous one: credit it to the function now running.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    perNode.set(id, (perNode.get(id) ?? 0) + dt);
  }
  const perFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of perNode) {
    const n = byId.get(id)!;
    const file = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/(src|bench|node_modules)\//, '$1/');
    const name = `${n.callFrame.functionName || '(anonymous)'}${file ? ` ${file}:${n.callFrame.lineNumber + 1}` : ''}`;
    perFunction.set(name, (perFunction.get(name) ?? 0) + us);
    total += us;
  }
  return [...perFunction.entries()]
    .map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const rows = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  for (const r of rows.slice(0, top)) console.log(`${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
}
