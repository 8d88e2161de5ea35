import type { Browser, Page } from 'playwright-core';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berth, stopServe } from './fixtures/berth-cli.js';
import { launchChromium, Screenshots, startWebServe, type WebServe } from './fixtures/browser.js';
import { startRegistry, type TestRegistry } from './fixtures/registry.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';

// Pushing from the Images view to a registry that wants an account: refused, signed in, pushed layer by layer.

const ALICE = { user: 'alice', password: 'wonderland' };

describe('pushing an image in the app (berth serve --web, Chromium)', { timeout: 180_000 }, () => {
  let env: TestEngineEnv;
  let serve: WebServe | undefined;
  let registry: TestRegistry;
  let browser: Browser;
  let page: Page;
  let shots: Screenshots;
  let target: string;

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    registry = await startRegistry({ htpasswd: ALICE });
    serve = await startWebServe(env.env);
    target = `${registry.host}/team/hello:1`;
    expect((await berth(env.env, ['pull', 'hello'])).code).toBe(0);
    expect((await berth(env.env, ['tag', 'hello', target])).code).toBe(0);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    shots = await Screenshots.create('push');
  });

  afterAll(async () => {
    await browser?.close();
    if (serve) await stopServe(serve.child);
    await registry?.stop();
    await env?.cleanup();
  });

  it('asks for an account when the registry refuses, keeps it, and pushes each layer', async () => {
    await page.goto(serve!.url);
    await page.getByRole('button', { name: /^Images/ }).click();
    await page.getByRole('group', { name: 'Actions for hello:latest' }).getByRole('button', { name: 'Push' }).click();
    const panel = page.getByRole('region', { name: 'Push an image' });
    await panel.getByLabel('Name to push').selectOption(target);
    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    const signIn = panel.getByRole('form', { name: `Sign in to ${registry.host}` });
    await signIn.waitFor();
    await panel.getByRole('alert').getByText('The registry refused access.').waitFor();
    await shots.take(page, 'refused');

    await signIn.getByLabel('Username').fill(ALICE.user);
    await signIn.getByLabel('Password').fill('not the password');
    await signIn.getByRole('button', { name: 'Sign in and push' }).click();
    await signIn.getByRole('alert').getByText(`registry ${registry.host} refused the account`).waitFor();

    await signIn.getByLabel('Password').fill(ALICE.password);
    await signIn.getByRole('button', { name: 'Sign in and push' }).click();
    const result = panel.getByRole('status');
    await result.getByText(`Pushed ${target}`).waitFor();
    const bars = panel.getByRole('list', { name: 'Push progress' }).getByRole('listitem');
    expect(await bars.count()).toBeGreaterThan(0);
    expect(await bars.filter({ hasText: 'Pushed' }).count()).toBe(await bars.count());
    await shots.take(page, 'pushed');

    // Kept where the docker CLI looks, and what landed is what the panel says.
    const config = await readFile(join(env.env.DOCKER_CONFIG!, 'config.json'), 'utf8');
    expect(config).toContain(registry.host);
    const { stdout } = await promisify(execFile)('skopeo', ['inspect', '--tls-verify=false', '--creds', `${ALICE.user}:${ALICE.password}`, `docker://${target}`]);
    expect(await result.textContent()).toContain((JSON.parse(stdout) as { Digest: string }).Digest);

    // Again: nothing is sent, every layer is already there.
    const layers = await bars.count();
    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    await expect.poll(() => bars.filter({ hasText: 'Already there' }).count(), { timeout: 30_000 }).toBe(layers);
    await result.waitFor();
  });
});
