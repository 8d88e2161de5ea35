import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { relayWorkerFile } from './relay-worker-file.js';
import { WorkerPortRelay } from './worker-port-relay.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'berth-relay-worker-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('relay worker file', () => {
  it('is the built one under dist/ when running from the TypeScript source', () => {
    expect(fileURLToPath(relayWorkerFile())).toBe(join(here, '..', '..', 'dist', 'electron', 'ports', 'relay-worker.js'));
  });

  it('is the one beside the module when running compiled', () => {
    const dir = join(scratch, 'compiled');
    mkdirSync(dir);
    writeFileSync(join(dir, 'relay-worker.js'), '');
    expect(fileURLToPath(relayWorkerFile(pathToFileURL(join(dir, 'worker-port-relay.js')).href))).toBe(join(dir, 'relay-worker.js'));
  });

  it('says to build when there is none', () => {
    const root = join(scratch, 'unbuilt');
    mkdirSync(join(root, 'electron', 'ports'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{}');
    const from = pathToFileURL(join(root, 'electron', 'ports', 'worker-port-relay.ts')).href;
    expect(() => relayWorkerFile(from)).toThrow(expect.objectContaining({ code: 'INTERNAL', fix: 'run `npm run build`' }));
  });

  it('is not older than its sources (tests of the worker run the built code)', () => {
    const built = statSync(relayWorkerFile()).mtimeMs;
    const sources = readdirSync(here).filter((name) => /^(relay-(?!.*\.test\.ts$).*|worker-port-relay)\.ts$/.test(name));
    const newer = sources.filter((name) => statSync(join(here, name)).mtimeMs > built + 1_000);
    expect(newer, `changed since the last build (run \`npm run build\`): ${newer.join(', ')}`).toEqual([]);
  });
});

describe('WorkerPortRelay', () => {
  it('fails to start, with the reason, when the worker cannot run', async () => {
    const broken = join(scratch, 'broken-worker.mjs');
    writeFileSync(broken, 'throw new Error("no relay here");\n');
    await expect(WorkerPortRelay.start({ workerFile: pathToFileURL(broken) })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/did not start: no relay here/),
    });
  });

  it('reports a worker that dies, and fails calls from then on', async () => {
    const stopped: string[] = [];
    const relay = await WorkerPortRelay.start({ onStopped: (error) => stopped.push(error.message) });
    // Stands in for a crash: the worker goes away without close().
    await (relay as unknown as { worker: Worker }).worker.terminate();
    await expect(relay.reserve('c1', [{ hostIp: '127.0.0.1', hostPort: 0, guestPort: 80, protocol: 'tcp' }])).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/port relay exited/),
    });
    expect(stopped).toHaveLength(1);
    await relay.close();
    expect(stopped).toHaveLength(1);
  });

  it('does not keep the process alive on its own once idle', () => {
    const module = pathToFileURL(join(here, '..', '..', 'dist', 'electron', 'ports', 'worker-port-relay.js')).href;
    const script = `
      const { WorkerPortRelay } = await import(${JSON.stringify(module)});
      const relay = await WorkerPortRelay.start();
      const reserved = await relay.reserve('c1', [{ hostIp: '127.0.0.1', hostPort: 0, guestPort: 80, protocol: 'tcp' }]);
      console.log(reserved.ok ? 'reserved' : 'failed');`;
    // Exits by itself (no close): the caller's own work, not the relay, decides the process's life.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000, encoding: 'utf8' });
    expect(out.trim()).toBe('reserved');
  });
});
