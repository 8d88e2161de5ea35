import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berth, stopServe } from './fixtures/berth-cli.js';
import { launchChromium, Screenshots, startWebServe, type WebServe } from './fixtures/browser.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';

const run = promisify(execFile);

// A container's page, reached from the list: what it runs with, its output, its record, a terminal.

const NAME = 'page-web';
const SCRIPT = 'echo "listening on 80"; echo "warning: no config, using defaults" >&2; i=0; while [ $i -lt 5 ]; do i=$((i+1)); echo "request $i served"; done; trap "exit 0" TERM; while :; do sleep 1; done';

describe('a container’s page in the browser (berth serve --web, Chromium)', { timeout: 180_000 }, () => {
  let env: TestEngineEnv;
  let serve: WebServe | undefined;
  let browser: Browser;
  let page: Page;
  let shots: Screenshots;

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    serve = await startWebServe(env.env);
    const run = await berth(env.env, [
      'run', '-d', '--name', NAME,
      '-e', 'MODE=production', '-e', 'DB_PASSWORD=hunter2',
      '-v', 'page-data:/data:ro',
      '--label', 'team=web',
      '--restart', 'on-failure:3',
      'hello', 'sh', '-c', SCRIPT,
    ]);
    expect(run).toMatchObject({ code: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    shots = await Screenshots.create('container-page');
  });

  afterAll(async () => {
    await browser?.close();
    if (serve) await stopServe(serve.child);
    await env?.cleanup();
  });

  it('opens from the list and shows what the container runs with, a secret masked until clicked', async () => {
    await page.goto(serve!.url);
    await page.getByRole('link', { name: NAME }).click();
    await page.getByRole('heading', { name: NAME, level: 1 }).waitFor();
    expect(page.url()).toMatch(/#\/containers\/[0-9a-f]{64}\/overview$/);

    const container = page.getByRole('region', { name: 'Container' });
    await container.getByText('on-failure (at most 3), restarted 0 times').waitFor();
    expect(await container.getByText('sh -c').textContent()).toContain('listening on 80');

    const environment = page.getByRole('table', { name: 'Environment' });
    await environment.getByRole('row', { name: /MODE production/ }).waitFor();
    const secret = environment.getByRole('button', { name: 'Show DB_PASSWORD' });
    expect(await secret.textContent()).not.toContain('hunter2');
    // The image's own PATH is there too: the environment the process starts with.
    await environment.getByRole('rowheader', { name: 'PATH' }).waitFor();

    const mounts = page.getByRole('table', { name: 'Mounts' });
    await mounts.getByRole('row', { name: /\/data volume page-data read-only/ }).waitFor();
    await page.getByRole('table', { name: 'Labels' }).getByRole('row', { name: 'team web' }).waitFor();
    const networks = page.getByRole('table', { name: 'Networks' });
    await networks.getByRole('row', { name: /bridge \d+\.\d+\.\d+\.\d+\/\d+/ }).waitFor();
    await shots.take(page, 'overview');

    await secret.click();
    await environment.getByRole('button', { name: 'Hide DB_PASSWORD' }).getByText('hunter2').waitFor();
  });

  it('shows stdout and stderr apart, finds a line, and keeps the page across a reload', async () => {
    await page.getByRole('link', { name: 'Logs' }).click();
    const log = page.getByRole('log', { name: 'Output' });
    await log.getByText('request 5 served').waitFor();
    // The two streams are read apart, so their lines may interleave either way.
    const stderr = log.locator('.stream-stderr');
    await stderr.getByText('warning: no config').waitFor();
    expect(await stderr.count()).toBe(1);

    await page.getByRole('searchbox', { name: 'Search the logs' }).fill('REQUEST 3');
    await page.getByRole('toolbar', { name: 'Log tools' }).getByRole('status').getByText('1 line match').waitFor();
    expect(await log.locator('mark').allTextContents()).toEqual(['request 3']);

    await page.getByRole('checkbox', { name: 'stdout' }).uncheck();
    await page.getByRole('searchbox', { name: 'Search the logs' }).fill('');
    expect(await log.locator('.log-line').count()).toBe(1);
    await page.getByRole('checkbox', { name: 'stdout' }).check();
    await page.getByRole('checkbox', { name: 'Timestamps' }).check();
    expect(await log.locator('.log-time').first().textContent()).toMatch(/^\d{4}-\d\d-\d\dT/);
    await page.getByRole('searchbox', { name: 'Search the logs' }).fill('request 3');
    await shots.take(page, 'logs');

    const downloaded = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const file = await downloaded;
    expect(file.suggestedFilename()).toBe(`${NAME}.log`);

    await page.reload();
    await page.getByRole('log', { name: 'Output' }).getByText('request 5 served').waitFor();
    expect(await page.getByRole('link', { name: 'Logs' }).getAttribute('aria-current')).toBe('page');
  });

  it('charts CPU, memory, network and block I/O live, and the list row draws the last minute of CPU', async () => {
    expect(await berth(env.env, ['exec', NAME, 'sh', '-c', 'yes > /dev/null 2>&1 < /dev/null & echo $! > /tmp/yes.pid'])).toMatchObject({ code: 0 });
    try {
      await page.getByRole('link', { name: 'Stats' }).click();
      const cpu = page.getByRole('region', { name: 'CPU' });
      await expect.poll(async () => parseFloat((await cpu.locator('.chart-now').textContent()) ?? ''), { timeout: 15_000 }).toBeGreaterThan(50);
      for (const name of ['Memory', 'Network', 'Block I/O']) await page.getByRole('region', { name }).getByRole('img', { name: `${name} over time` }).waitFor();
      // The chart moves: a new sample draws a different picture.
      const picture = () => cpu.locator('canvas').evaluate((canvas) => (canvas as unknown as { toDataURL(): string }).toDataURL());
      const before = await picture();
      await expect.poll(picture, { timeout: 10_000 }).not.toBe(before);
      await shots.take(page, 'stats');
    } finally {
      await berth(env.env, ['exec', NAME, 'sh', '-c', 'kill $(cat /tmp/yes.pid)']);
    }
    await page.getByRole('link', { name: 'Containers' }).first().click();
    const row = page.locator('tr.container-row', { hasText: NAME });
    await row.getByRole('img', { name: 'CPU over the last minute' }).locator('canvas').waitFor();
    await shots.take(page, 'list-with-sparkline');
    await page.goBack();
    await page.getByRole('region', { name: 'CPU' }).waitFor();
  });

  it('walks the container’s files, opens one, downloads a file and a folder, and uploads into a folder', async () => {
    await berth(env.env, ['exec', NAME, 'sh', '-c', 'head -c 2000000 /dev/zero | tr "\\0" a > /tmp/big.txt; printf "a\\0b" > /tmp/blob.bin; ln -s /etc /tmp/etc-link']);
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    const files = (folder: string) => page.getByRole('table', { name: `Files in ${folder}` });
    await files('/').getByRole('button', { name: 'etc', exact: true }).click();
    await files('/etc').getByRole('button', { name: 'hostname', exact: true }).click();
    const preview = page.getByRole('complementary', { name: 'Preview of hostname' });
    const hostname = (await berth(env.env, ['exec', NAME, 'cat', '/etc/hostname'])).stdout;
    expect(hostname.trim()).not.toBe('');
    expect(await preview.locator('pre').textContent()).toBe(hostname);

    let downloaded = page.waitForEvent('download');
    await preview.getByRole('button', { name: 'Download hostname' }).click();
    let file = await downloaded;
    expect(file.suggestedFilename()).toBe('hostname');
    expect(await readFile((await file.path())!, 'utf8')).toBe(hostname);
    downloaded = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download folder' }).click();
    file = await downloaded;
    expect(file.suggestedFilename()).toBe('etc.tar');
    const names = (await run('tar', ['-tf', (await file.path())!])).stdout.split('\n');
    expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/^etc\/?$/), 'etc/hostname']));

    // Up by the crumbs; a symlink to a folder opens as the folder.
    await page.getByRole('navigation', { name: 'Folder' }).getByRole('button', { name: '/' }).click();
    await files('/').getByRole('button', { name: 'tmp', exact: true }).click();
    await files('/tmp').getByRole('button', { name: /^etc-link/ }).click();
    await files('/tmp/etc-link').getByRole('button', { name: 'hostname', exact: true }).waitFor();
    await page.getByRole('navigation', { name: 'Folder' }).getByRole('button', { name: 'tmp' }).click();
    await files('/tmp').getByRole('button', { name: 'blob.bin', exact: true }).click();
    await page.getByRole('complementary', { name: 'Preview of blob.bin' }).getByText('A binary file of 3 B').waitFor();
    await files('/tmp').getByRole('button', { name: 'big.txt', exact: true }).click();
    await page.getByRole('complementary', { name: 'Preview of big.txt' }).getByRole('alert').getByText('The file is too large to show here.').waitFor();
    // The preview's limit is a setting: raised, the same file opens.
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('combobox', { name: 'Largest file to open in the Files tab' }).selectOption({ label: '4 MiB' });
    await expect.poll(() => page.getByRole('combobox', { name: 'Largest file to open in the Files tab' }).getAttribute('aria-busy')).toBe('false');
    await shots.take(page, 'settings-preview-size');
    await page.goBack();
    await files('/').getByRole('button', { name: 'tmp', exact: true }).click();
    await files('/tmp').getByRole('button', { name: 'big.txt', exact: true }).click();
    expect(await page.getByRole('complementary', { name: 'Preview of big.txt' }).locator('pre').textContent()).toBe('a'.repeat(2_000_000));

    await page.getByLabel('File to upload').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded from the page\n') });
    await files('/tmp').getByRole('button', { name: 'notes.txt', exact: true }).waitFor();
    expect((await berth(env.env, ['exec', NAME, 'cat', '/tmp/notes.txt'])).stdout).toBe('uploaded from the page\n');
    await files('/tmp').getByRole('button', { name: 'hostname', exact: true }).waitFor({ state: 'detached' });
    await files('/tmp').getByRole('button', { name: 'notes.txt', exact: true }).click();
    await page.getByRole('complementary', { name: 'Preview of notes.txt' }).getByText('uploaded from the page').waitFor();
    await shots.take(page, 'files');

    // Into a read-only volume: one line, nothing written.
    await page.getByRole('navigation', { name: 'Folder' }).getByRole('button', { name: '/' }).click();
    await files('/').getByRole('button', { name: 'data', exact: true }).click();
    await page.getByLabel('File to upload').setInputFiles({ name: 'nope.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
    await page.getByRole('region', { name: `Files of ${NAME}` }).getByRole('alert').getByText('That folder is read-only in the container.').waitFor();
    expect(await files('/data').getByRole('button', { name: 'nope.txt', exact: true }).count()).toBe(0);
  });

  it('shows the whole record as a tree, and a terminal docked in the page', async () => {
    await page.getByRole('link', { name: 'Inspect' }).click();
    const tree = page.getByRole('list', { name: `Record of ${NAME}` });
    await tree.getByText('DB_PASSWORD=hunter2', { exact: false }).first().waitFor({ state: 'attached' });
    await tree.getByText('spec:').click();
    await tree.getByText('restart:').waitFor();
    await shots.take(page, 'inspect');

    await page.getByRole('link', { name: 'Terminal' }).click();
    const screen = page.locator('.terminal-screen:visible');
    await screen.waitFor();
    await screen.click();
    await page.keyboard.type('echo from-the-page-$((6*7))');
    await page.keyboard.press('Enter');
    await screen.getByText('from-the-page-42').waitFor();
    await shots.take(page, 'terminal');
  });

  it('goes back to the list with the browser’s back button, and says so when a linked container is gone', async () => {
    for (let i = 0; i < 8 && !(await page.getByRole('heading', { name: 'Containers', level: 1 }).isVisible()); i++) await page.goBack();
    await page.getByRole('heading', { name: 'Containers', level: 1 }).waitFor();
    expect(page.url()).not.toContain(NAME);

    await page.goto(`${serve!.url}#/containers/no-such-container/overview`);
    await page.getByRole('status').getByText('There is no container “no-such-container”').waitFor();
    // By name, as a deep link may be written.
    await page.goto(`${serve!.url}#/containers/${NAME}/overview`);
    await page.getByRole('heading', { name: NAME, level: 1 }).waitFor();
  });
});
