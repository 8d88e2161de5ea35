import { BerthError } from '../../shared/berth-error.js';

/** Linux x86_64 signal numbers; the names runc and Docker accept. */
const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11,
  USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20,
  TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29,
  PWR: 30, SYS: 31,
};

export interface Signal {
  name: string;
  number: number;
}

/** Accepts `TERM`, `SIGTERM`, `sigterm` or `15` (and real-time `RTMIN+n`), as `docker kill -s` does. */
export function parseSignal(input: string): Signal {
  const text = input.trim().toUpperCase();
  const bare = text.startsWith('SIG') ? text.slice(3) : text;
  if (/^\d+$/.test(bare)) {
    const number = Number(bare);
    if (number >= 1 && number <= 64) {
      const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === number);
      return { name: name ? `SIG${name}` : String(number), number };
    }
  } else if (SIGNALS[bare] !== undefined) {
    return { name: `SIG${bare}`, number: SIGNALS[bare] };
  } else {
    const rt = /^RTMIN(?:\+(\d+))?$/.exec(bare);
    if (rt && Number(rt[1] ?? 0) <= 30) return { name: `SIG${bare}`, number: 34 + Number(rt[1] ?? 0) };
  }
  throw new BerthError('INVALID_SIGNAL', `invalid signal "${input}"`, { fix: 'use a name like TERM or KILL, or a number 1-64' });
}
