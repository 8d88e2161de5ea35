import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWeb, type WebServer } from '../electron/transport/web/web-server.js';
import { Container, type ContainerStats } from '../shared/containers.js';
import { fakeSystemInfo, FakeEngine, launchChromium, RENDERER_DIR, requireBuild, Screenshots } from './fixtures/browser.js';
import { RENDER_COUNTER, takeRenders } from './fixtures/render-counter.js';
import { formatPercent } from '../renderer/format/percent.js';

const COUNT = 300;
/** Loose: catches a hang, not a slowdown. The times are logged; docs/benchmarks.md has them. */
const HANG_MS = 2_000;

/** 300 records as the engine would send them, each parsed through the shared schema. */
function syntheticContainers(): Container[] {
  const start = Date.parse('2025-01-01T00:00:00Z');
  return Array.from({ length: COUNT }, (_, i) => {
    const running = i % 3 !== 2;
    const hostPort = 20_000 + i;
    return Container.parse({
      id: i.toString(16).padStart(4, '0').repeat(16),
      name: `svc-${String(i).padStart(3, '0')}`,
      image: i % 2 === 0 ? 'hello' : '127.0.0.1:5000/team/api:1.4',
      imageId: `sha256:${'ab'.repeat(32)}`,
      created: new Date(start + i * 60_000).toISOString(),
      command: ['httpd', '-f', '-p', '80'],
      spec: { image: 'hello' },
      state: running
        ? { status: 'running', pid: 1000 + i, startedAt: new Date(Date.now() - i * 5_000).toISOString() }
        : { status: 'exited', exitCode: i % 4, finishedAt: new Date(Date.now() - i * 7_000).toISOString() },
      network: { mode: 'bridge', address: `10.88.${i >> 8}.${i & 255}` },
      ports: running
        ? [
            { hostIp: '127.0.0.1', hostPort, guestPort: 80, protocol: 'tcp', source: i % 5 === 0 ? 'auto_remap' : 'auto_expose', requestedHostPort: i % 5 === 0 ? 80 : undefined },
            ...(i % 4 === 0 ? [{ hostIp: '0.0.0.0', hostPort: hostPort + 1000, guestPort: 8080, protocol: 'tcp', source: 'user' }] : []),
          ]
        : [],
    });
  });
}

const INFO = fakeSystemInfo({ containers: { running: 200, total: COUNT }, images: 2 });

// Runs in the page before its scripts: stamps the arrival of every WebSocket message, so the test
// can time "message in → DOM updated" inside the browser, free of the test's own latency.
const STAMP_MESSAGES = `
  const add = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function (type, listener, options) {
    if (type !== 'message' || typeof listener !== 'function') return add.call(this, type, listener, options);
    return add.call(this, type, function (event) { window.__messageAt = performance.now(); return listener.call(this, event); }, options);
  };
`;

/** One stats sample of each container given; `cpu` overrides some containers' CPU figure. */
function tick(running: readonly Container[], cpu: Record<string, number> = {}): ContainerStats[] {
  return running.map((c, i) => ({ id: c.id, name: c.name, cpuPercent: cpu[c.id] ?? (i % 40) + 0.5, memoryBytes: 3_000_000 + i * 10_000, memoryLimitBytes: 0, pids: 2, netRxBytes: i * 1000, netTxBytes: i * 500, blockReadBytes: 0, blockWriteBytes: 0 }));
}

/** Arms a watch on one element; resolves (in the page) once its text contains `text`. */
function watchFor(selector: string, text: string): string {
  return `window.__timing = new Promise((resolve) => {
    const target = document.querySelector(${JSON.stringify(selector)});
    if (!target) throw new Error('no element ' + ${JSON.stringify(selector)});
    const observer = new MutationObserver(() => {
      if (!target.isConnected || !target.textContent.includes(${JSON.stringify(text)})) return;
      const committed = performance.now();
      const wall = Date.now();
      const received = window.__messageAt;
      observer.disconnect();
      requestAnimationFrame(() => resolve({ received, committed, painted: performance.now(), wall }));
    });
    observer.observe(target, { subtree: true, childList: true, characterData: true });
  }); true`;
}

interface Timing {
  received: number;
  committed: number;
  painted: number;
  wall: number;
}

describe('renderer with 300 containers (Chromium, built renderer, fake engine over the real WebSocket)', () => {
  let browser: Browser;
  let page: Page;
  let server: WebServer;
  let engine: FakeEngine;
  let containers: Container[];
  let emitStats: ((stats: ContainerStats[]) => void) | undefined;

  beforeAll(async () => {
    requireBuild();
    containers = syntheticContainers();
    engine = new FakeEngine({
      'system.info': async () => INFO,
      'images.list': async () => [],
      'containers.list': async () => containers,
      'containers.stats': async (_request, { emit, signal }) => {
        emitStats = (stats) => emit(stats);
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return [];
      },
    });
    server = await serveWeb(engine, { rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.addInitScript(STAMP_MESSAGES);
    await page.addInitScript(RENDER_COUNTER);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders 300 rows and shows one state change, timed from the message to the DOM', async () => {
    const loadStart = Date.now();
    await page.goto(server.url);
    await expect.poll(() => page.locator('tr.container-row').count(), { timeout: 15_000 }).toBe(COUNT);
    console.log(`300 rows: first render ${Date.now() - loadStart} ms after navigation`);

    const timings: { render: number; frame: number; endToEnd: number }[] = [];
    // Round 0 warms the code paths up; rounds 1-5 are measured.
    for (let round = 0; round <= 5; round++) {
      const target = containers[(round * 37 + 11) % COUNT]!;
      const running = target.state.status === 'running';
      const next = Container.parse({
        ...target,
        state: running
          ? { ...target.state, status: 'exited', exitCode: 137, finishedAt: new Date().toISOString() }
          : { ...target.state, status: 'running', startedAt: new Date().toISOString() },
        ports: running ? [] : target.ports,
      });
      await page.evaluate(watchFor(`tr[data-id="${target.id}"] .state`, running ? 'Exited (137)' : 'Running'));
      const emittedAt = Date.now();
      engine.emitEvent('containers.changed', { container: next });
      const t = await page.evaluate<Timing>('window.__timing');
      containers = containers.map((c) => (c.id === next.id ? next : c));
      if (round > 0) timings.push({ render: t.committed - t.received, frame: t.painted - t.received, endToEnd: t.wall - emittedAt });
    }
    const worst = (key: 'render' | 'frame' | 'endToEnd') => Math.max(...timings.map((t) => t[key]));
    console.log(
      `state change with ${COUNT} rows, 5 rounds (ms): message→DOM ${timings.map((t) => t.render.toFixed(1)).join(', ')}; ` +
        `message→next frame ${timings.map((t) => t.frame.toFixed(1)).join(', ')}; engine event→DOM ${timings.map((t) => t.endToEnd).join(', ')}`,
    );
    expect(worst('render')).toBeLessThan(HANG_MS);
    expect(worst('endToEnd')).toBeLessThan(HANG_MS);
  });

  it('updates live CPU and memory of every running container at once, timed', async () => {
    expect(emitStats).toBeDefined();
    const running = containers.filter((c) => c.state.status === 'running');
    const last = running[running.length - 1]!;
    await page.evaluate(watchFor(`tr[data-id="${last.id}"] .cell-num`, '%'));
    emitStats!(tick(running));
    const t = await page.evaluate<Timing>('window.__timing');
    console.log(`stats for ${running.length} running containers: message→DOM ${(t.committed - t.received).toFixed(1)} ms`);
    expect(t.committed - t.received).toBeLessThan(HANG_MS);
    await expect.poll(() => page.locator('tr.container-row .meter').count()).toBe(running.length);
    const shots = await Screenshots.create('many-containers');
    await shots.take(page, 'containers-300');
  });

  it('re-renders, on a stats tick, only the figures that changed and the sparklines (each gains a sample); no row, no view', async () => {
    const running = containers.filter((c) => c.state.status === 'running');
    const target = running[7]!;
    await takeRenders(page);
    await page.evaluate(watchFor(`tr[data-id="${target.id}"] .meter`, '77%'));
    emitStats!(tick(running, { [target.id]: 77 }));
    await page.evaluate('window.__timing');
    // The sparklines draw in a render React may put off: let it come.
    await page.waitForTimeout(300);
    const renders = await takeRenders(page);
    const count = (what: string) => renders.filter((r) => r.what === what).length;
    console.log(`stats tick, ${running.length} running of ${COUNT}, one CPU figure changed: ${renders.length} renders: ` + [...new Set(renders.map((r) => r.what))].map((what) => `${what} ×${count(what)}`).join(', '));
    expect(renders.filter((r) => r.what.startsWith('tr'))).toEqual([]);
    expect(renders.filter((r) => r.row === '')).toEqual([]);
    expect(renders.filter((r) => r.row === target.id && r.what === 'span.meter')).toHaveLength(1);
    // Elsewhere no figure (none changed): each sparkline, which gained a sample, and the ages the clock moved meanwhile.
    const others = renders.filter((r) => r.row !== target.id && r.what !== 'span.state-time');
    expect([...new Set(others.map((r) => r.what))]).toEqual(['div.sparkline']);
    const perRow = new Map<string, number>();
    for (const render of others) perRow.set(render.row, (perRow.get(render.row) ?? 0) + 1);
    expect(perRow.size).toBe(running.length - 1);
    // The sparkline and its chart, each at most twice (the figures' render, then the deferred one).
    expect(Math.max(...perRow.values())).toBeLessThanOrEqual(4);
  });

  it("opens a container's page from the 300 rows and comes back, timed from the click to the page drawn", async () => {
    const times: { committed: number; painted: number }[] = [];
    for (let round = 0; round <= 5; round++) {
      const target = containers[(round * 53 + 5) % COUNT]!;
      const timing = await page.evaluate<{ committed: number; painted: number }>(`new Promise((resolve) => {
        const link = document.querySelector('tr[data-id="${target.id}"] a.container-name');
        let start = 0;
        const observer = new MutationObserver(() => {
          const title = document.querySelector('#container-title');
          if (!title || title.textContent !== ${JSON.stringify(target.name)} || !document.querySelector('section[aria-label="Ports"]')) return;
          observer.disconnect();
          const committed = performance.now() - start;
          requestAnimationFrame(() => resolve({ committed, painted: performance.now() - start }));
        });
        observer.observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true });
        start = performance.now();
        link.click();
      })`);
      if (round > 0) times.push(timing);
      await page.goBack();
      await expect.poll(() => page.locator('tr.container-row').count(), { timeout: 15_000 }).toBe(COUNT);
    }
    console.log(`container page from ${COUNT} rows, 5 rounds (ms): click→page in the DOM ${times.map((t) => t.committed.toFixed(1)).join(', ')}; click→next frame ${times.map((t) => t.painted.toFixed(1)).join(', ')}`);
    expect(Math.max(...times.map((t) => t.painted))).toBeLessThan(HANG_MS);
  });

  it('holds ten minutes of one-second samples for 20 containers with its Stats charts open, in memory that stops growing', async () => {
    const twenty = containers.filter((c) => c.state.status === 'running').slice(0, 20);
    await page.goto(`${server.url.split('#')[0]}#/containers/${twenty[0]!.id}/stats`);
    await page.getByRole('heading', { name: twenty[0]!.name, level: 1 }).waitFor();
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    // Ten minutes of ticks, waited for every fifty (the CPU figure of the page's container says which tick it is).
    const feed = async (from: number) => {
      for (let second = from; second < from + 600; second++) {
        emitStats!(tick(twenty, { [twenty[0]!.id]: second / 10 }));
        if (second % 50 === 49) await page.locator('.chart-now').first().filter({ hasText: formatPercent(second / 10) }).waitFor();
      }
    };
    const before = await heap();
    await feed(0);
    const full = await heap();
    await feed(600);
    const after = await heap();
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
    console.log(`stats history, 20 containers: heap ${mib(before)} MiB before, ${mib(full)} MiB after 600 ticks (rings full), ${mib(after)} MiB after 600 more`);
    // The rings are full after the first ten minutes: the next ten add nothing that stays.
    expect(after - full).toBeLessThan(2 * 2 ** 20);
    await cdp.detach();
  });
});
