import { BerthError } from '../../shared/berth-error.js';

/** Docker's default: Ctrl+P then Ctrl+Q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * Docker's --detach-keys grammar: keys apart by commas, each a single character or `ctrl-X` with X
 * one of a-z @ [ \ ] ^ _ (ctrl-a is byte 1, ctrl-@ byte 0, ctrl-[ ESC).
 */
export function parseDetachKeys(text: string): Buffer {
  const bytes = text.split(',').map((key) => {
    const ctrl = /^ctrl-(.)$/i.exec(key);
    if (ctrl) {
      const code = ctrl[1]!.toLowerCase().charCodeAt(0);
      if (code >= 97 && code <= 122) return code - 96;
      const symbol = '@[\\]^_'.indexOf(ctrl[1]!);
      if (symbol !== -1) return symbol === 0 ? 0 : 27 + symbol - 1;
    } else if (key.length === 1) {
      return key.charCodeAt(0);
    }
    throw new BerthError('INVALID_ARGUMENT', `invalid detach keys "${text}"`, {
      fix: 'use keys apart by commas, each a character or ctrl-X (X one of a-z @ [ \\ ] ^ _), e.g. ctrl-p,ctrl-q',
    });
  });
  return Buffer.from(bytes);
}

/**
 * Watches typed bytes for the detach sequence. Bytes that start the sequence are held until it is
 * complete (detach) or broken (they go on to the container, as typed).
 */
export class DetachKeys {
  private held: number[] = [];

  constructor(private readonly keys: Buffer) {}

  /** What goes on to the container, and whether the sequence was completed. */
  feed(data: Buffer): { forward: Buffer; detach: boolean } {
    const forward: number[] = [];
    for (const byte of data) {
      if (byte === this.keys[this.held.length]) {
        this.held.push(byte);
        if (this.held.length === this.keys.length) return { forward: Buffer.from(forward), detach: true };
        continue;
      }
      forward.push(...this.held);
      this.held = [];
      if (byte === this.keys[0]) this.held.push(byte);
      else forward.push(byte);
    }
    return { forward: Buffer.from(forward), detach: false };
  }
}
