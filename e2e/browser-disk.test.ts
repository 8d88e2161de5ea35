import type { Browser, Page } from 'playwright-core';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../shared/containers.js';
import type { DiskUsage } from '../shared/disk-usage.js';
import type { Image, ImageStep } from '../shared/images.js';
import { formatBytes } from '../renderer/format/bytes.js';
import { berth, stopServe } from './fixtures/berth-cli.js';
import { launchChromium, Screenshots, startWebServe, type WebServe } from './fixtures/browser.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';

// The containers list by keyboard, an image's page, dangling images and the disk view in the app, against a real engine: what the
// page shows is what berth history and berth system df say, and a clean-up says what it frees first.

const DOCKERFILE = (megabytes: number) => `FROM hello
LABEL team=quay
ENV GREETING=ahoy
RUN dd if=/dev/zero of=/filler bs=1M count=${megabytes} 2>/dev/null
EXPOSE 8080
CMD ["sh", "-c", "echo $GREETING"]
`;

describe('the list by keyboard, an image page, dangling images and disk usage in the app (berth serve --web, Chromium)', { timeout: 180_000 }, () => {
  let env: TestEngineEnv;
  let serve: WebServe | undefined;
  let browser: Browser;
  let page: Page;
  let shots: Screenshots;
  const run = async (args: string[]) => {
    const result = await berth(env.env, args);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  };
  const json = async <T,>(args: string[]) => JSON.parse(await run(args)) as T;

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    serve = await startWebServe(env.env);
    const context = await env.makeHostFolder('layers');
    // Built twice under one name: the first build is left dangling.
    for (const megabytes of [2, 3]) {
      await writeFile(join(context.local, 'Dockerfile'), DOCKERFILE(megabytes));
      await run(['build', '-t', 'layers:1', context.local]);
    }
    await run(['run', '--name', 'done', 'layers:1']);
    await run(['run', '-d', '--name', 'up', 'hello', 'sleep', '300']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    shots = await Screenshots.create('disk');
  });

  afterAll(async () => {
    await browser?.close();
    if (serve) {
      await berth(env.env, ['rm', '-f', 'up', 'done']);
      await stopServe(serve.child);
    }
    await env?.cleanup();
  });

  it('moves through the containers list by keyboard: / to the filter, arrows between rows, Enter to the page', async () => {
    await page.goto(serve!.url);
    await page.getByRole('link', { name: 'done' }).waitFor();
    const focused = async () => {
      const element = page.locator(':focus');
      return (await element.getAttribute('aria-label')) ?? (await element.textContent()) ?? '';
    };
    await page.keyboard.press('/');
    expect(await focused()).toBe('Filter containers');
    // Newest first: up, then done.
    for (const [key, name] of [['ArrowDown', 'up'], ['ArrowDown', 'done'], ['ArrowDown', 'done'], ['ArrowUp', 'up'], ['ArrowDown', 'done']] as const) {
      await page.keyboard.press(key);
      expect(await focused(), `after ${key}`).toBe(name);
    }
    await shots.take(page, 'keyboard');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'done', level: 1 }).waitFor();

    // Back on the list, once it is drawn again (a `/` before that has no filter to focus).
    await page.goBack();
    await page.getByRole('link', { name: 'done' }).waitFor();
    await page.keyboard.press('/');
    expect(await focused()).toBe('Filter containers');
    await page.keyboard.type('up');
    await page.getByRole('link', { name: 'done' }).waitFor({ state: 'detached' });
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'up', level: 1 }).waitFor();
    await page.goBack();
    await page.getByRole('searchbox', { name: 'Filter containers' }).fill('');
  });

  it("opens an image's page from the list: its config, the steps that made it with their sizes, and who uses it", async () => {
    const image = (await json<Image[]>(['images', '--json'])).find((i) => i.names.includes('docker.io/library/layers:1'))!;
    await page.getByRole('button', { name: /^Images/ }).click();
    await page.getByRole('link', { name: 'layers:1', exact: true }).click();
    await page.getByRole('heading', { name: 'layers:1', level: 1 }).waitFor();
    expect(page.url()).toMatch(new RegExp(`#/images/${image.id.replace(/^sha256:/, '')}$`));

    const config = page.getByRole('region', { name: 'Config' });
    await config.getByText('8080/tcp').waitFor();
    await config.getByText('sh -c "echo $GREETING"').waitFor();
    await page.getByRole('table', { name: 'Environment' }).getByRole('row', { name: /GREETING ahoy/ }).waitFor();
    await page.getByRole('table', { name: 'Labels' }).getByRole('row', { name: /team quay/ }).waitFor();

    // Every step as berth history has it, oldest first, each layer's size as measured.
    const steps = await json<ImageStep[]>(['history', '--json', 'layers:1']);
    const rows = page.getByRole('table', { name: 'Layers' }).getByRole('row');
    await expect.poll(() => rows.count()).toBe(steps.length + 1);
    const filler = [...steps].reverse().findIndex((step) => step.createdBy.includes('dd if=/dev/zero'));
    const row = rows.nth(filler + 1);
    expect(await row.getByRole('cell').nth(1).textContent()).toContain('dd if=/dev/zero of=/filler bs=1M count=3');
    expect(await row.getByRole('cell').nth(2).textContent()).toBe(formatBytes([...steps].reverse()[filler]!.size));

    const users = page.getByRole('region', { name: 'Used by' });
    await users.getByRole('link', { name: 'done' }).waitFor();
    expect(await users.getByRole('link', { name: 'up' }).count()).toBe(0);
    await shots.take(page, 'image-page');

    // To the container and back again with the browser's back button.
    await users.getByRole('link', { name: 'done' }).click();
    await page.getByRole('heading', { name: 'done', level: 1 }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'layers:1', level: 1 }).waitFor();
  });

  it('lists the dangling build as <none> and removes it after saying what that frees', async () => {
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Images' }).click();
    await page.getByRole('link', { name: '<none>' }).waitFor();
    await page.getByText('1 dangling image').waitFor();
    await page.getByRole('button', { name: 'Remove dangling images' }).click();
    const ask = page.getByRole('group', { name: 'Confirm: Remove dangling images' });
    const question = (await ask.textContent()) ?? '';
    const freeing = /^Remove 1 dangling image, freeing (.+)\?/.exec(question)?.[1];
    expect(freeing, question).toMatch(/^[\d.]+ MB$/);
    await shots.take(page, 'dangling');
    await ask.getByRole('button', { name: 'Remove' }).click();
    await page.getByText(`Removed 1 dangling image: ${freeing} freed.`).waitFor();
    await page.getByRole('link', { name: '<none>' }).waitFor({ state: 'detached' });
    expect((await json<Image[]>(['images', '--json'])).filter((i) => i.names.length === 0)).toEqual([]);
  });

  it('shows disk usage by kind, and prunes the stopped container after saying what it frees', async () => {
    await page.getByRole('button', { name: /^Disk usage/ }).click();
    const table = page.getByRole('table', { name: 'Disk usage by kind' });
    const containers = table.getByRole('row', { name: /^Containers/ });
    await containers.waitFor();
    const usage = await json<DiskUsage>(['system', 'df', '--json']);
    const cells = async () => (await containers.getByRole('cell').allTextContents()).slice(0, 4);
    const writable = usage.containers.reduce((sum, c) => sum + c.sizeRw, 0);
    expect(await cells()).toEqual(['2', '1', formatBytes(writable), formatBytes(usage.containers.find((c) => c.name === 'done')!.sizeRw)]);
    expect(await table.getByRole('row', { name: /^Images/ }).getByRole('cell').nth(2).textContent()).toBe(formatBytes(usage.imagesSize));

    await containers.getByRole('button', { name: 'Remove stopped containers' }).click();
    const ask = containers.getByRole('group', { name: 'Confirm: Remove stopped containers' });
    const done = usage.containers.find((c) => c.name === 'done')!;
    const freeing = formatBytes(done.sizeRw + done.logSize);
    expect(await ask.textContent()).toContain(`Remove 1 stopped container, freeing ${freeing}?`);
    await shots.take(page, 'disk-usage');
    await ask.getByRole('button', { name: 'Remove' }).click();
    await containers.getByText(`Removed 1 stopped container: ${freeing} freed.`).waitFor();
    await expect.poll(async () => (await cells())[0]).toBe('1');
    expect((await json<Container[]>(['ps', '-a', '--json'])).map((c) => c.name)).toEqual(['up']);
    await shots.take(page, 'pruned');
  });
});
