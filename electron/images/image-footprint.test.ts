import { describe, expect, it } from 'vitest';
import { freedBytes, imageSize, totalSize, type Footprints } from './image-footprint.js';

// Two images on one base layer; the third alone.
const footprints: Footprints = {
  partsOf: new Map([
    ['a', ['blob:a', 'layer:base', 'layer:a']],
    ['b', ['blob:b', 'layer:base', 'layer:b']],
    ['c', ['blob:c', 'layer:c']],
  ]),
  bytes: new Map([
    ['blob:a', 1],
    ['blob:b', 2],
    ['blob:c', 4],
    ['layer:base', 100],
    ['layer:a', 10],
    ['layer:b', 20],
    ['layer:c', 40],
  ]),
};

describe('image footprints', () => {
  it('counts a shared layer in each image, and once in the total', () => {
    expect(imageSize(footprints, 'a')).toEqual({ size: 111, sharedSize: 100 });
    expect(imageSize(footprints, 'c')).toEqual({ size: 44, sharedSize: 0 });
    expect(totalSize(footprints)).toBe(177);
  });

  it('frees a shared layer only when every image on it goes', () => {
    expect(freedBytes(footprints, ['a'])).toBe(11);
    expect(freedBytes(footprints, ['a', 'b'])).toBe(133);
    expect(freedBytes(footprints, ['a', 'b', 'c'])).toBe(177);
    expect(freedBytes(footprints, [])).toBe(0);
  });

  it('frees nothing a running pull holds', () => {
    expect(freedBytes(footprints, ['c'], new Set(['layer:c']))).toBe(4);
  });
});
