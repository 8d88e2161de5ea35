import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWeb, type WebServer } from '../electron/transport/web/web-server.js';
import { Container } from '../shared/containers.js';
import { Image, type PullProgress } from '../shared/images.js';
import { fakeSystemInfo, FakeEngine, launchChromium, RENDERER_DIR, requireBuild, Screenshots } from './fixtures/browser.js';

// The states a real engine shows only for an instant (a pull half done) or only when something is
// wrong (a warning, the engine gone), held still by a fake engine so they can be seen and checked.

const APP = '127.0.0.1:5000/team/api:1.4';
const LAYERS = ['sha256:1f0e3dad99908345f7439f8ffabdffc4', 'sha256:9b74c9897bac770ffc029102a200c5de', 'sha256:c4ca4238a0b923820dcc509a6f75849b'];

function image(name: string, id: string, size: number): Image {
  return Image.parse({ id: `sha256:${id.repeat(64 / id.length)}`, names: [name], manifestDigest: 'sha256:00', layers: LAYERS, size, created: new Date(Date.now() - 3 * 86_400_000).toISOString(), config: {} });
}

function container(name: string, imageName: string, running: boolean, minutesAgo: number): Container {
  const at = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  return Container.parse({
    id: name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a'),
    name,
    image: imageName,
    imageId: 'sha256:aa',
    created: at,
    command: ['app'],
    spec: { image: imageName },
    state: running
      ? { status: 'running', startedAt: at }
      : { status: 'exited', exitCode: 1, finishedAt: at, lastOutput: 'applying 0007_users.sql\nerror: relation "users" already exists' },
    network: { mode: 'bridge' },
    ports: running
      ? [
          { hostIp: '0.0.0.0', hostPort: 8080, guestPort: 80, protocol: 'tcp', source: 'user' },
          { hostIp: '::', hostPort: 8080, guestPort: 80, protocol: 'tcp', source: 'user' },
        ]
      : [],
  });
}

const INFO = fakeSystemInfo({
  containers: { running: 1, total: 2 },
  images: 1,
  warnings: ['iptables is missing, so containers have no outbound network: install iptables and restart the engine'],
});

/** A pull that stops half way until the test lets it finish. */
function heldPull() {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const run = async (reference: string, emit: (p: PullProgress) => void) => {
    emit({ reference, layer: LAYERS[0]!, status: 'done', current: 2_811_000, total: 2_811_000 });
    emit({ reference, layer: LAYERS[1]!, status: 'downloading', current: 18_400_000, total: 31_250_000 });
    emit({ reference, layer: LAYERS[2]!, status: 'waiting', current: 0, total: 7_100_000 });
    await finished;
  };
  return { run, finish: () => finish() };
}

describe('renderer states (Chromium, built renderer, fake engine)', { timeout: 60_000 }, () => {
  let browser: Browser;
  let page: Page;
  let server: WebServer;
  let shots: Screenshots;
  let images = [image('docker.io/library/hello:latest', 'ab', 412_000)];
  const pull = heldPull();
  const run = heldPull();

  const engine = new FakeEngine({
    'system.info': async () => INFO,
    'images.list': async () => images,
    'containers.list': async () => [container('api-1', APP, true, 42), container('migrate', APP, false, 50)],
    'containers.stats': async (_request, { signal }) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      return [];
    },
    'images.pull': async ({ reference }, { emit }) => {
      await pull.run(reference, emit);
      const pulled = image(APP, 'cd', 41_161_000);
      images = [...images, pulled];
      engine.emitEvent('images.changed', {});
      return pulled;
    },
    'containers.run': async (spec, { emit }) => {
      await run.run(spec.image, emit);
      const started = container(spec.name ?? 'api-2', spec.image, true, 0);
      engine.emitEvent('containers.changed', { container: started });
      return started;
    },
  });

  beforeAll(async () => {
    requireBuild();
    server = await serveWeb(engine, { rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    shots = await Screenshots.create('states');
    await page.goto(server.url);
    await page.getByText('Engine running').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('pulls with one progress bar per layer, then lists the image', async () => {
    await page.getByRole('button', { name: /^Images/ }).click();
    await page.getByLabel('Image reference').fill(APP);
    await page.getByRole('button', { name: 'Pull', exact: true }).click();
    const bars = page.getByRole('progressbar');
    await expect.poll(() => bars.count()).toBe(3);
    expect(await bars.nth(0).getAttribute('aria-valuenow')).toBe('100');
    expect(await bars.nth(1).getAttribute('aria-valuenow')).toBe('59');
    expect(await page.getByRole('button', { name: 'Pull', exact: true }).getAttribute('aria-busy')).toBe('true');
    await shots.take(page, 'pull-progress');
    pull.finish();
    await page.getByRole('row').filter({ hasText: APP }).waitFor();
    await expect.poll(() => bars.count()).toBe(0);
    await shots.take(page, 'images');
  });

  it('shows a failed container’s last output beside its exit code', async () => {
    await page.getByRole('button', { name: /^Containers/ }).click();
    const row = page.getByRole('row').filter({ hasText: 'migrate' });
    await row.getByText('Exited (1)').waitFor();
    const last = row.getByText('error: relation "users" already exists', { exact: true });
    await last.hover();
    await page.getByRole('tooltip').filter({ hasText: 'applying 0007_users.sql' }).waitFor();
    await shots.take(page, 'failed-last-output');
    await page.mouse.move(0, 0);
  });

  it('shows the run’s image download in the dialog, and the new row after it', async () => {
    await page.getByRole('button', { name: /^Containers/ }).click();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Image', { exact: true }).fill(APP);
    await dialog.getByLabel('Name', { exact: true }).fill('api-2');
    await dialog.getByLabel('Ports', { exact: true }).fill('8081:80');
    await dialog.getByLabel('Environment', { exact: true }).fill('MODE=demo\nLOG_LEVEL=debug');
    // Two clicks while the first run is in flight still start one run.
    await dialog.getByRole('button', { name: 'Run', exact: true }).dblclick();
    await expect.poll(() => dialog.getByRole('progressbar').count()).toBe(3);
    await shots.take(page, 'run-progress');
    run.finish();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'api-2' }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'api-2' }).count()).toBe(1);
  });

  it('shows the engine’s warnings, and says what to do when the engine goes away', async () => {
    await page.getByRole('button', { name: '1 warning' }).click();
    await page.getByText('iptables is missing').waitFor();
    await shots.take(page, 'warnings');
    await page.getByRole('button', { name: '1 warning' }).click();
    await server.close();
    await page.getByText('Engine unreachable').waitFor();
    await page.getByText(/berth serve --web; this page reconnects by itself/).waitFor();
    await shots.take(page, 'engine-unreachable');
  });
});
