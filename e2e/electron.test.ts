import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../electron/engine/engine-config.js';
import { berth } from './fixtures/berth-cli.js';
import { requireBuild, Screenshots } from './fixtures/browser.js';
import { closeServer, holdPort, httpGet, isFree } from './fixtures/ports.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';

/** The Electron binary, when this machine has one (the npm package alone does not). */
function electronBinary(): string | undefined {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();
const NO_BINARY = 'no Electron binary on this machine (its download is not reachable); the same clicks run in browser.test.ts';

describe('Berth desktop app (Electron, real engine)', { timeout: 180_000 }, () => {
  let env: TestEngineEnv | undefined;
  let app: ElectronApplication | undefined;
  let held: Server | undefined;

  afterAll(async () => {
    if (held) await closeServer(held);
    if (env) for (const name of ['app-1', 'app-2']) await berth(env.env, ['rm', '-f', name]);
    await app?.close();
    await env?.cleanup();
  });

  it('runs hello, shows auto_expose then auto_remap, opens the port in the system browser, stops and removes', async (context) => {
    if (!binary) return context.skip(NO_BINARY);
    requireBuild();
    env = await makeTestEngineEnv();
    const testEnv = env;
    // Chromium refuses to run as root without --no-sandbox; the window keeps its own JS sandbox.
    const args = [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), packageRoot()];
    app = await _electron.launch({ executablePath: binary, args, env: { ...process.env, ...testEnv.env } as Record<string, string> });
    const page: Page = await app.firstWindow();
    const shots = await Screenshots.create('electron');
    const row = (name: string) => page.getByRole('row').filter({ has: page.getByText(name, { exact: true }) });

    // The page has the contract and nothing else of the main process.
    expect(await page.evaluate('typeof require + typeof process + Object.keys(window.berth ?? {}).sort().join()')).toBe('undefinedundefinedonMessage,send');

    // Port links go to the system browser: record where instead of opening one.
    await app.evaluate(({ shell }) => {
      const opened: string[] = [];
      Object.assign(globalThis, { openedUrls: opened });
      shell.openExternal = async (url: string) => {
        opened.push(url);
      };
    });
    const lastOpened = async () => (await app!.evaluate(() => (globalThis as unknown as { openedUrls: string[] }).openedUrls.at(-1))) ?? '';

    const runHello = async (name: string) => {
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Image', { exact: true }).fill('hello');
      await dialog.getByLabel('Name', { exact: true }).fill(name);
      await dialog.getByRole('button', { name: 'Run', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
    };

    await page.getByRole('heading', { name: 'No containers yet' }).waitFor();
    await shots.take(page, 'empty');
    await runHello('app-1');
    const link1 = row('app-1').getByRole('link', { name: `${testEnv.publishIp}:80 → 80/tcp` });
    await link1.waitFor();
    await row('app-1').getByText('auto_expose', { exact: true }).waitFor();
    await shots.take(page, 'running-auto-expose');
    await link1.click();
    await expect.poll(lastOpened).toBe(`http://${testEnv.publishIp}:80/`);
    expect(await httpGet(testEnv.publishIp, 80)).toContain('Hello from Berth');

    await row('app-1').getByRole('button', { name: 'Stop', exact: true }).click();
    await row('app-1').getByRole('button', { name: 'Start', exact: true }).waitFor();
    await expect.poll(() => isFree(testEnv.publishIp, 80)).toBe(true);

    held = await holdPort(testEnv.publishIp, 80);
    await runHello('app-2');
    await row('app-2').getByText('auto_remap', { exact: true }).waitFor();
    await shots.take(page, 'running-auto-remap');
    await row('app-2').getByRole('link', { name: / → / }).click();
    await expect.poll(lastOpened).toMatch(new RegExp(`^http://${testEnv.publishIp.replaceAll('.', '\\.')}:\\d+/$`));
    const port = Number(new URL(await lastOpened()).port);
    expect(await httpGet(testEnv.publishIp, port)).toContain('Hello from Berth');

    await row('app-2').getByRole('button', { name: 'Stop', exact: true }).click();
    await row('app-2').getByRole('button', { name: 'Start', exact: true }).waitFor();
    await row('app-2').getByRole('button', { name: 'Remove', exact: true }).click();
    await row('app-1').getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('heading', { name: 'No containers yet' }).waitFor();
    await shots.take(page, 'removed');
  });
});
