import type { Browser, Page } from 'playwright-core';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerSocketPath } from '../electron/engine/engine-config.js';
import { stopServe } from './fixtures/berth-cli.js';
import { launchChromium, Screenshots, startWebServe, type WebServe } from './fixtures/browser.js';
import { runDocker, type Ran } from './fixtures/docker-cli.js';
import { makeTempDir, type TempDir } from './fixtures/temp-dir.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';

// A compose stack as the app shows it: one row for the stack, its services under it, one click for all of them.

const COMPOSE_V2 = '/usr/local/lib/berth-test/cli-plugins/docker-compose';
const says = (line: string) => `["sh", "-c", "echo ${line}; trap 'exit 0' TERM; httpd -f -p 80 -h /var/www & wait"]`;
const STACK = `services:
  web:
    image: hello
    command: ${says('web is up')}
    depends_on: [cache]
  cache:
    image: hello
    command: ${says('cache is up')}
`;

describe('a compose stack in the app (berth serve --web, Chromium)', { timeout: 180_000 }, () => {
  let env: TestEngineEnv;
  let serve: WebServe | undefined;
  let browser: Browser;
  let page: Page;
  let shots: Screenshots;
  let project: TempDir;
  let dockerEnv: Record<string, string>;
  const compose = (args: string[]): Promise<Ran> => runDocker(['compose', '-f', join(project.path, 'compose.yaml'), '-p', 'shop', ...args], dockerEnv);

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    const config = env.env.DOCKER_CONFIG!;
    await mkdir(join(config, 'cli-plugins'), { recursive: true });
    await symlink(COMPOSE_V2, join(config, 'cli-plugins', 'docker-compose'));
    dockerEnv = { DOCKER_HOST: `unix://${dockerSocketPath(env.config.home)}`, DOCKER_CONFIG: config };
    project = await makeTempDir('berth-compose-ui-');
    await writeFile(join(project.path, 'compose.yaml'), STACK);
    serve = await startWebServe(env.env);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    shots = await Screenshots.create('compose');
  });

  afterAll(async () => {
    await browser?.close();
    if (serve) {
      await compose(['down', '-t', '1']);
      await stopServe(serve.child);
    }
    await project?.remove();
    await env?.cleanup();
  });

  it('shows the stack as one row, expands it to its services, and stops it with one click', async () => {
    expect((await runDocker(['pull', 'hello'], dockerEnv)).code).toBe(0);
    const up = await compose(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    await page.goto(serve!.url);
    const stack = page.locator('tr[data-stack="shop"]');
    await stack.getByText('2 of 2 running').waitFor();
    // Its containers are not rows of their own until it is opened.
    expect(await page.locator('tr.container-row').count()).toBe(0);
    await shots.take(page, 'stack');

    await page.getByRole('button', { name: 'Expand stack shop' }).click();
    const web = page.locator('tr.container-row.in-stack').filter({ hasText: 'shop-web-1' });
    const cache = page.locator('tr.container-row.in-stack').filter({ hasText: 'shop-cache-1' });
    await web.getByText('Running').waitFor();
    await cache.getByText('Running').waitFor();
    await shots.take(page, 'stack-open');

    await page.getByRole('group', { name: 'Actions for stack shop' }).getByRole('button', { name: 'Stop stack', exact: true }).click();
    await web.getByText(/^Exited/).waitFor();
    await cache.getByText(/^Exited/).waitFor();
    await stack.getByText('0 of 2 running').waitFor();
    await shots.take(page, 'stack-stopped');
    expect((await runDocker(['ps', '-q', '--filter', 'label=com.docker.compose.project=shop'], dockerEnv)).stdout).toBe('');
  });

  it('lists the stack network with its containers in the Networks view', async () => {
    await page.getByRole('group', { name: 'Actions for stack shop' }).getByRole('button', { name: 'Start stack', exact: true }).click();
    await page.locator('tr[data-stack="shop"]').getByText('2 of 2 running').waitFor();
    await page.getByRole('button', { name: /^Networks/ }).click();
    const row = page.getByRole('row').filter({ has: page.getByText('shop_default', { exact: true }) });
    await row.locator('.network-members').getByText('shop-web-1').waitFor();
    await row.locator('.network-members').getByText('shop-cache-1').waitFor();
    expect(await row.getByRole('button', { name: 'Remove' }).getAttribute('aria-disabled')).toBe('true');
    await shots.take(page, 'networks');
    await page.getByRole('button', { name: /^Containers/ }).click();
  });

  it("interleaves the stack's logs by time, each line tagged and coloured by its service", async () => {
    await page.getByRole('group', { name: 'Actions for stack shop' }).getByRole('button', { name: 'Stack logs', exact: true }).click();
    const panel = page.getByRole('region', { name: 'Logs of stack shop' });
    await panel.getByText('Following').waitFor();
    // Both runs of each service: up started cache first (web depends on it), Start stack both at once.
    const lines = panel.locator('.log-line');
    await expect.poll(() => lines.count(), { timeout: 20_000 }).toBe(4);
    const texts = await lines.allTextContents();
    const said = ['cache-1 | cache is up\n', 'web-1   | web is up\n'];
    expect(texts.slice(0, 2)).toEqual(said);
    expect(texts.slice(2).sort()).toEqual(said);
    // One colour per service, a different one for each.
    const tones = new Set<string>();
    for (let i = 0; i < 4; i++) tones.add(`${texts[i]!.split(' ')[0]} ${await lines.nth(i).locator('.log-tag').getAttribute('class')}`);
    expect([...tones].sort()).toEqual(['cache-1 log-tag tone-0', 'web-1 log-tag tone-1']);
    await shots.take(page, 'stack-logs');
  });
});
