import { describe, expect, it } from 'vitest';
import { bytes } from '../electron/cli/format.js';
import { binarySize } from './binary-size.js';

describe('binarySize', () => {
  it('picks the largest binary unit a count reaches', () => {
    expect(binarySize(512)).toEqual({ value: 512, unit: 'B' });
    expect(binarySize(1536)).toEqual({ value: 1.5, unit: 'KiB' });
    expect(binarySize(3 * 1024 ** 3)).toEqual({ value: 3, unit: 'GiB' });
    expect(binarySize(2 * 1024 ** 5)).toEqual({ value: 2048, unit: 'TiB' });
  });

  it('reads as Docker prints sizes in the CLI', () => {
    expect(bytes(0)).toBe('0B');
    expect(bytes(2_947_000)).toBe('2.81MiB');
    expect(bytes(150 * 1024 * 1024)).toBe('150.0MiB');
  });
});
