import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchService, parseRules } from './rules.ts';

const subject = { pid: 42, comm: 'nginx', exe: '/usr/sbin/nginx', container: null };

test('first matching rule names the service; comments and blank lines are ignored', () => {
  const { rules, errors } = parseRules(`
# web tier
match comm ngin? -> service frontend
match exe /usr/sbin/* -> service system
`);
  assert.deepEqual(errors, []);
  assert.equal(matchService(rules, subject), 'frontend');
  assert.equal(matchService(rules, { ...subject, comm: 'sshd', exe: '/usr/sbin/sshd' }), 'system');
  assert.equal(matchService(rules, { ...subject, comm: 'python3', exe: '/usr/bin/python3' }), null);
});

test('pid and container fields; a null field never matches', () => {
  const { rules } = parseRules('match container 3f2a* -> service cache\nmatch pid 42 -> service answer');
  assert.equal(matchService(rules, subject), 'answer');
  assert.equal(matchService(rules, { ...subject, pid: 1, container: '3f2a00' }), 'cache');
});

test('bad lines are reported with their number, not thrown', () => {
  const { rules, errors } = parseRules('match comm a -> service b\nmatch colour red -> service c\nnonsense');
  assert.equal(rules.length, 1);
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /^line 2: unknown field "colour"/);
  assert.match(errors[1]!, /^line 3: expected/);
});

test('glob metacharacters other than * and ? are literal', () => {
  const { rules } = parseRules('match comm a.b+ -> service x');
  assert.equal(matchService(rules, { ...subject, comm: 'a.b+' }), 'x');
  assert.equal(matchService(rules, { ...subject, comm: 'axbb' }), null);
});
