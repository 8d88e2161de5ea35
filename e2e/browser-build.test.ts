import type { Browser, Page } from 'playwright-core';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopServe } from './fixtures/berth-cli.js';
import { launchChromium, Screenshots, startWebServe, type WebServe } from './fixtures/browser.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';

// Building from the Images view: a folder's path, a tag, the build's output as it comes, the new image in the list.

describe('building an image in the app (berth serve --web, Chromium)', { timeout: 180_000 }, () => {
  let env: TestEngineEnv;
  let serve: WebServe | undefined;
  let browser: Browser;
  let page: Page;
  let shots: Screenshots;
  let app: { path: string; local: string };
  let broken: { path: string; local: string };

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    app = await env.makeHostFolder('app');
    await writeFile(join(app.local, 'Dockerfile'), 'FROM hello\nCOPY page.html /var/www/index.html\nRUN echo "page in place"\n');
    await writeFile(join(app.local, 'page.html'), '<p>built in the app</p>\n');
    broken = await env.makeHostFolder('broken');
    await writeFile(join(broken.local, 'Dockerfile'), 'FROM hello\nRUN echo about to fail; exit 7\n');
    serve = await startWebServe(env.env);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    shots = await Screenshots.create('build');
  });

  afterAll(async () => {
    await browser?.close();
    if (serve) await stopServe(serve.child);
    await env?.cleanup();
  });

  it('builds from a folder, shows the steps as they come, and lists the new image', async () => {
    await page.goto(serve!.url);
    await page.getByRole('button', { name: /^Images/ }).click();
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    const panel = page.getByRole('region', { name: 'Build an image' });
    await panel.getByLabel('Context folder').fill(app.local);
    await panel.getByLabel('Tag').fill('from-app:1');
    await panel.getByRole('button', { name: 'Build', exact: true }).click();
    await panel.getByText('Successfully tagged from-app:1').waitFor();
    // The RUN step's own output, on a line of its own.
    expect((await panel.locator('pre').textContent())?.split('\n')).toContain('page in place');
    await panel.getByText('Built from-app:1').waitFor();
    await page.getByRole('row').filter({ hasText: 'from-app:1' }).waitFor();
    await shots.take(page, 'built');
  });

  it('shows a failed step with its Dockerfile line and exit status', async () => {
    const panel = page.getByRole('region', { name: 'Build an image' });
    await panel.getByLabel('Context folder').fill(broken.local);
    await panel.getByLabel('Tag').fill('');
    await panel.getByRole('button', { name: 'Build', exact: true }).click();
    await panel.getByRole('alert').getByText('Dockerfile line 2: RUN echo about to fail; exit 7: exit status 7').waitFor();
    expect((await panel.locator('pre').textContent())?.split('\n')).toContain('about to fail');
    await shots.take(page, 'failed');
  });

  it("takes the folder from the desktop app's picker when there is one", async () => {
    // The preload's bridge stands in for Electron's dialog here (no Electron binary on this machine); the engine is real.
    const desktop = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await desktop.addInitScript((folder) => {
      (globalThis as unknown as { berthApp: unknown }).berthApp = { pickFolder: async () => folder, onOpenPage: () => () => {} };
    }, app.local);
    try {
      await desktop.goto(serve!.url);
      await desktop.getByRole('button', { name: /^Images/ }).click();
      await desktop.getByRole('button', { name: 'Build', exact: true }).click();
      const panel = desktop.getByRole('region', { name: 'Build an image' });
      await panel.getByRole('button', { name: 'Choose…' }).click();
      expect(await panel.getByLabel('Context folder').inputValue()).toBe(app.local);
      await panel.getByLabel('Tag').fill('picked:1');
      await panel.getByRole('button', { name: 'Build', exact: true }).click();
      await panel.getByText('Built picked:1').waitFor();
      await shots.take(desktop, 'picked');
    } finally {
      await desktop.close();
    }
    // In a browser there is no picker: the path is typed.
    expect(await page.getByRole('region', { name: 'Build an image' }).getByRole('button', { name: 'Choose…' }).count()).toBe(0);
  });
});

