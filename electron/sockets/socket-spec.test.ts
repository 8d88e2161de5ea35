import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { forwardId, parseSocketSpecs } from './socket-spec.js';

describe('parseSocketSpecs', () => {
  it('reads both directions, with ids from the container and the destination', () => {
    const forwards = parseSocketSpecs('c1', ['/run/agent.sock:/run/ssh.sock'], ['/srv/db.sock:/tmp/db.sock']);
    expect(forwards).toEqual([
      { id: forwardId('c1', '/run/ssh.sock'), direction: 'to-host', hostPath: '/run/agent.sock', containerPath: '/run/ssh.sock' },
      { id: forwardId('c1', '/tmp/db.sock'), direction: 'to-container', hostPath: '/tmp/db.sock', containerPath: '/srv/db.sock' },
    ]);
    expect(forwardId('c1', '/run/ssh.sock')).toBe(createHash('sha256').update('c1:/run/ssh.sock').digest('hex'));
    expect(forwardId('c1', '/x')).not.toBe(forwardId('c2', '/x'));
  });

  it('names the bad part of a bad spec', () => {
    expect(() => parseSocketSpecs('c', ['agent.sock:/x'], [])).toThrow(/invalid --socket "agent.sock:\/x": the host path "agent.sock" is not absolute/);
    expect(() => parseSocketSpecs('c', ['/a.sock:x'], [])).toThrow(/container path "x" is not absolute/);
    expect(() => parseSocketSpecs('c', ['/a.sock'], [])).toThrow(/expected HOST_SOCKET:CONTAINER_PATH/);
    expect(() => parseSocketSpecs('c', [], ['/x.sock'])).toThrow(/expected CONTAINER_SOCKET:HOST_PATH/);
    expect(() => parseSocketSpecs('c', [], ['x.sock:/h.sock'])).toThrow(/container path "x.sock" is not absolute/);
    expect(() => parseSocketSpecs('c', ['/a.sock:/x', '/b.sock:/x'], [])).toThrow(/\/x is given twice/);
  });
});
