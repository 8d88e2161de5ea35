import { resolve } from 'node:path';
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

  it("reads resource limits in Docker's units", () => {
    const spec = runSpecFromFlags(parseFlags(['-m', '32m', '--memory-swap', '-1', '--cpus', '1.5', '-c', '512', '--pids-limit', '64', 'img'], RUN_FLAGS, true));
    expect(spec.resources).toEqual({ memory: 32 * 1024 * 1024, memorySwap: -1, cpus: 1.5, cpuShares: 512, pidsLimit: 64 });
    expect(runSpecFromFlags(parseFlags(['--memory', '1g', 'img'], RUN_FLAGS, true)).resources).toEqual({ memory: 1024 ** 3 });
    expect(runSpecFromFlags(parseFlags(['img'], RUN_FLAGS, true)).resources).toEqual({});
    expect(() => runSpecFromFlags(parseFlags(['--memory', 'lots', 'img'], RUN_FLAGS, true))).toThrow(expect.objectContaining({ message: 'invalid value "lots" for --memory', fix: 'use a size like 512m or 2g' }));
    expect(() => runSpecFromFlags(parseFlags(['--cpus', 'two', 'img'], RUN_FLAGS, true))).toThrow('invalid value "two" for --cpus');
  });

  it("reads health check flags in Docker's spelling", () => {
    const spec = runSpecFromFlags(parseFlags(['--health-cmd', 'test -e /ok', '--health-interval', '1m30s', '--health-retries', '5', '--health-start-period', '250ms', 'img'], RUN_FLAGS, true));
    expect(spec.healthcheck).toEqual({ test: ['CMD-SHELL', 'test -e /ok'], intervalMs: 90_000, retries: 5, startPeriodMs: 250 });
    expect(runSpecFromFlags(parseFlags(['--health-timeout', '2s', 'img'], RUN_FLAGS, true)).healthcheck).toEqual({ timeoutMs: 2000 });
    expect(runSpecFromFlags(parseFlags(['--no-healthcheck', 'img'], RUN_FLAGS, true)).healthcheck).toEqual({ test: ['NONE'] });
    expect(runSpecFromFlags(parseFlags(['img'], RUN_FLAGS, true)).healthcheck).toBeUndefined();
    expect(() => runSpecFromFlags(parseFlags(['--health-interval', 'often', 'img'], RUN_FLAGS, true))).toThrow(expect.objectContaining({ message: 'invalid value "often" for --health-interval', fix: 'use a duration like 30s or 1m30s' }));
    expect(() => runSpecFromFlags(parseFlags(['--no-healthcheck', '--health-cmd', 'true', 'img'], RUN_FLAGS, true))).toThrow('conflicting options: --no-healthcheck and --health-cmd');
  });

  it('names unknown flags and bad values', () => {
    expect(() => parseFlags(['--bogus', 'x'], RUN_FLAGS, true)).toThrow('unknown flag: --bogus');
    expect(runSpecFromFlags(parseFlags(['--network', 'front', '--network-alias', 'web', '--network', 'back', 'x'], RUN_FLAGS, true))).toMatchObject({ network: 'front', networkAliases: ['web'], extraNetworks: [{ network: 'back', aliases: [] }] });
    expect(() => runSpecFromFlags(parseFlags(['-d'], RUN_FLAGS, true))).toThrow(/needs an image/);
  });

  it('makes a volume source starting with "." absolute against the working directory, and leaves names and absolute paths', () => {
    const spec = runSpecFromFlags(parseFlags(['-v', './src:/src:ro', '-v', '../up:/up', '-v', '.:/here', '-v', 'data:/data', '-v', '/abs:/abs', 'img'], RUN_FLAGS, true));
    expect(spec.volumes).toEqual([`${resolve('src')}:/src:ro`, `${resolve('..', 'up')}:/up`, `${process.cwd()}:/here`, 'data:/data', '/abs:/abs']);
  });
});
