import { describe, expect, it } from 'vitest';
import { DetachKeys, parseDetachKeys } from './detach-keys.js';

describe('detach keys', () => {
  it("reads Docker's grammar", () => {
    expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([16, 17]);
    expect([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-_,a')]).toEqual([0, 27, 31, 97]);
    expect([...parseDetachKeys('ctrl-A')]).toEqual([1]);
  });

  it('names a bad sequence in one line', () => {
    for (const bad of ['', 'ctrl-', 'ctrl-1', 'ab', 'ctrl-p,,ctrl-q']) {
      expect(() => parseDetachKeys(bad)).toThrow(`invalid detach keys "${bad}"`);
    }
  });

  it('detaches on the whole sequence, across chunks, and passes a broken one through as typed', () => {
    const keys = new DetachKeys(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(keys.feed(Buffer.from('ls\x10'))).toEqual({ forward: Buffer.from('ls'), detach: false });
    expect(keys.feed(Buffer.from('x\x10\x10'))).toEqual({ forward: Buffer.from('\x10x\x10'), detach: false });
    expect(keys.feed(Buffer.from('\x11'))).toEqual({ forward: Buffer.from(''), detach: true });
  });
});
