import { describe, expect, it } from 'vitest';
import { LineFramer } from './line-framer.js';

describe('LineFramer', () => {
  it('splits lines across chunks, multi-byte characters included', () => {
    const framer = new LineFramer(64);
    const bytes = Buffer.from('{"a":"é💥"}\n{"b":1}\n{"c"');
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i++) lines.push(...framer.push(bytes.subarray(i, i + 1)));
    expect(lines).toEqual(['{"a":"é💥"}', '{"b":1}']);
    expect(framer.push(Buffer.from(':2}\n'))).toEqual(['{"c":2}']);
  });

  it('takes a line of exactly the limit', () => {
    expect(new LineFramer(8).push(Buffer.from('12345678\n'))).toEqual(['12345678']);
  });

  it('refuses a line over the limit even when the chunk that ends it is the one that crosses it', () => {
    const framer = new LineFramer(8);
    expect(framer.push(Buffer.from('12345'))).toEqual([]);
    expect(() => framer.push(Buffer.from('6789\n'))).toThrow('longer than 8 bytes');
    expect(() => new LineFramer(8).push(Buffer.from('123456789\nok\n'))).toThrow('longer than 8 bytes');
  });

  it('holds nothing of a refused line', () => {
    const framer = new LineFramer(8);
    expect(() => framer.push(Buffer.from('123456789'))).toThrow('longer than');
    expect(framer.push(Buffer.from('\nok\n'))).toEqual(['', 'ok']);
  });
});
