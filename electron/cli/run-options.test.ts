import { describe, expect, it } from 'vitest';
import { parseFlags } from './parse-flags.js';
import { parseRestartPolicy, RUN_FLAGS, runSpecFromFlags } from './run-options.js';

describe('run options', () => {
  it('stops at the image so the command keeps its own flags', () => {
    const parsed = parseFlags(['-d', '--name', 'web', '-e', 'A=1', '-e=B=2', 'busybox', 'sh', '-c', 'echo hi'], RUN_FLAGS, true);
    const spec = runSpecFromFlags(parsed);
    expect(spec).toMatchObject({ image: 'busybox', cmd: ['sh', '-c', 'echo hi'], name: 'web', env: ['A=1', 'B=2'] });
  });

  it("takes a bare -e KEY's value from the shell, and drops it when unset", () => {
    process.env.BERTH_TEST_GREETING = 'hi';
    const spec = runSpecFromFlags(parseFlags(['-e', 'BERTH_TEST_GREETING', '-e', 'BERTH_TEST_UNSET_VAR', 'img'], RUN_FLAGS, true));
    expect(spec.env).toEqual(['BERTH_TEST_GREETING=hi']);
    delete process.env.BERTH_TEST_GREETING;
  });

  it('parses restart policies as Docker spells them', () => {
    expect(parseRestartPolicy('on-failure:3')).toEqual({ name: 'on-failure', maxRetries: 3 });
    expect(parseRestartPolicy('unless-stopped')).toEqual({ name: 'unless-stopped', maxRetries: 0 });
    expect(() => parseRestartPolicy('sometimes')).toThrow(/invalid restart policy "sometimes"/);
    expect(() => parseRestartPolicy('always:2')).toThrow(/invalid restart policy/);
  });

  it('names unknown flags and bad values', () => {
    expect(() => parseFlags(['--bogus', 'x'], RUN_FLAGS, true)).toThrow('unknown flag: --bogus');
    expect(() => runSpecFromFlags(parseFlags(['--network', 'weird', 'x'], RUN_FLAGS, true))).toThrow(/invalid network "weird"/);
    expect(() => runSpecFromFlags(parseFlags(['-d'], RUN_FLAGS, true))).toThrow(/needs an image/);
  });
});
