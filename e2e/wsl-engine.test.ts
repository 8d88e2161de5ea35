import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berth, crash, stopServe } from './fixtures/berth-cli.js';
import { launchChromium, Screenshots, startWebServe, type WebServe } from './fixtures/browser.js';
import { buildBusyboxImage } from '../build/oci-image.js';
import { httpGet, isFree } from './fixtures/ports.js';
import { startRegistry, type TestRegistry } from './fixtures/registry.js';
import { makeTempDir, type TempDir } from './fixtures/temp-dir.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';
import { makeWslSim, type WslSim } from './fixtures/wsl-sim.js';

const NAME = 'hello-wsl';
const execFileP = promisify(execFile);

/**
 * The whole app on the WSL backend: `berth serve --web` with BERTH_HOST=wsl drives the wsl.exe
 * simulator, which runs the real distro rootfs (build/out/berth-distro.tar.gz) in namespaces of its
 * own behind a veth, as the WSL2 VM sits behind its NAT.
 */
describe('Berth on the WSL2 backend (simulated wsl.exe, the real distro)', { timeout: 300_000 }, () => {
  let sim: WslSim;
  let registry: TestRegistry;
  let layout: TempDir;
  let pulled: string;
  let engine: TestEngineEnv;
  let env: Record<string, string>;
  let serve: WebServe | undefined;
  let browser: Browser;
  let page: Page;
  let shots: Screenshots;

  const status = (): Locator => page.getByRole('contentinfo', { name: 'Engine status' });
  const row = (): Locator => page.getByRole('row').filter({ has: page.getByText(NAME, { exact: true }) });
  const terminalLines = () =>
    page
      .getByRole('region', { name: 'Terminal' })
      .locator('.terminal-screen:visible .xterm-rows > div')
      .evaluateAll((rows) => rows.map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trim()));

  /** The simulated wsl.exe, as the test's own hand on the VM. */
  const wsl = (args: string[]) => execFileP(sim.exe, args, { env: { ...process.env, ...sim.env } });

  /** The forwards the distro holds from host port numbers to containers (nft's listing). */
  async function distroForwards(): Promise<string> {
    return (await wsl(['-d', 'berth', '-u', 'root', '--exec', 'nft', 'list', 'map', 'ip', 'berth_ports', 'tcp_forward'])).stdout;
  }

  /** Where the container's port 80 was published on this side. */
  async function publishedPort(name: string): Promise<[string, number]> {
    const said = (await berth(env, ['port', name])).stdout;
    const [, host, port] = /^80\/tcp -> ([\d.]+):(\d+)/.exec(said) ?? [];
    if (!host) throw new Error(`berth port ${name} said: ${said}`);
    return [host, Number(port)];
  }

  /** Processes started with this simulator's environment (wsl.exe and whatever it runs), but the engine's own. */
  async function simProcesses(): Promise<string[]> {
    const found: string[] = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === serve?.child.pid) continue;
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
      if (!environ.split('\0').includes(`BERTH_WSL_SIM_HOME=${sim.home}`)) continue;
      found.push(`${pid}: ${(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ')}`);
    }
    return found;
  }

  /** The distros wsl.exe has registered. */
  async function registered(): Promise<string[]> {
    const listed = await execFileP(sim.exe, ['-l', '-q'], { env: { ...process.env, ...sim.env, WSL_UTF8: '1' } }).catch((err: { stdout: string }) => err);
    return listed.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
  }

  /** Starts the engine and waits until its distro import is under way (past 10%, short of 100%). */
  async function serveUntilImporting(): Promise<WebServe> {
    const started = await restartServe();
    await expect.poll(() => started.output(), { timeout: 60_000 }).toMatch(/Importing the distro… [1-9]0%/);
    expect(started.output()).not.toMatch(/Importing the distro… 100%/);
    return started;
  }

  async function restartServe(overrides: Record<string, string> = {}): Promise<WebServe> {
    if (serve) await stopServe(serve.child);
    serve = await startWebServe({ ...env, ...overrides });
    return serve;
  }

  beforeAll(async () => {
    sim = await makeWslSim();
    registry = await startRegistry();
    layout = await makeTempDir('berth-wsl-layout-');
    await buildBusyboxImage(layout.path, 'v1', { cmd: ['sh', '-c', 'echo pulled into the distro; cat /etc/motd'], files: { '/etc/motd': 'layers unpacked in WSL\n' } });
    pulled = await registry.push(layout.path, 'v1', 'wsl/echo');
    engine = await makeTestEngineEnv();
    env = { ...engine.env, ...sim.env, BERTH_HOST: 'wsl', BERTH_WSL_EXE: sim.exe };
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    shots = await Screenshots.create('wsl');
  });

  afterAll(async () => {
    await browser?.close();
    if (serve) await stopServe(serve.child);
    await sim?.cleanup();
    await registry?.stop();
    await layout?.remove();
    await engine?.cleanup();
  });

  it('stops a distro import when quit mid-way: wsl.exe ends, nothing is registered, and the next start imports afresh', async () => {
    const started = await serveUntilImporting();
    await stopServe(started.child);
    expect(started.child.exitCode).toBe(0);
    expect(await simProcesses()).toEqual([]);
    expect(await registered()).toEqual([]);
    expect(existsSync(join(env.BERTH_HOME!, 'wsl', 'berth'))).toBe(false);
  });

  it('leaves no wsl.exe and no distro behind when killed mid-import (the next test imports afresh after it)', async () => {
    const started = await serveUntilImporting();
    await crash(started.child);
    // wsl.exe's input ended with the engine: the import fails by itself and cleans up (on Windows the
    // engine's job object ends it at once).
    await expect.poll(simProcesses, { timeout: 30_000 }).toEqual([]);
    expect(await registered()).toEqual([]);
  });

  it('imports its distro with progress, pulls and runs images, answers on a published port on this side, and opens a terminal', async () => {
    const { url } = await restartServe();
    await page.goto(url);
    // The import is a few seconds here: the status line shows it, or is already past it.
    await expect.poll(async () => (await status().textContent()) ?? '').toMatch(/Setting up Linux|Engine running/);
    await shots.take(page, 'starting');
    await status()
      .getByText('WSL 2')
      .waitFor({ timeout: 120_000 })
      .catch((err: Error) => {
        throw new Error(`${err.message}\nberth serve said:\n${serve!.output()}`);
      });
    expect(serve!.output()).toMatch(/Importing the distro… 100%/);

    expect(await berth(env, ['run', '-d', '--name', NAME, 'hello'])).toMatchObject({ code: 0 });
    const [host, hostPort] = await publishedPort(NAME);
    // The relay on this side reaches the container inside the VM through the distro's forward.
    expect(await httpGet(host, hostPort)).toContain('Hello from Berth');
    expect(await distroForwards()).toMatch(new RegExp(`\\b${hostPort} : [\\d.]+ \\. 80\\b`));
    expect(await berth(env, ['exec', NAME, 'sh', '-c', 'echo "in $(hostname)"'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^in \w+/) });

    // An image pulled from a registry on this side: its layers are piped into the distro and unpacked there.
    const once = await berth(env, ['run', '--name', 'once', pulled]);
    expect(once).toMatchObject({ code: 0, stdout: 'pulled into the distro\nlayers unpacked in WSL\n' });
    expect(await berth(env, ['rm', 'once'])).toMatchObject({ code: 0 });

    await row().getByText('Running', { exact: true }).waitFor();
    await row().getByRole('button', { name: 'Terminal' }).click();
    const screen = page.getByRole('region', { name: 'Terminal' }).locator('.terminal-screen:visible');
    await screen.locator('.xterm-rows').waitFor();
    await screen.click();
    await page.keyboard.type('echo $((6*7))');
    await page.keyboard.press('Enter');
    await expect.poll(terminalLines, { timeout: 15_000 }).toContain('42');
    await shots.take(page, 'running');

    expect(await berth(env, ['rm', '-f', NAME])).toMatchObject({ code: 0 });
    // Stopped: nothing holds the host port any more.
    expect(await isFree(host, hostPort)).toBe(true);
    // ...and the distro's forward for it is gone too.
    expect(await distroForwards()).not.toMatch(new RegExp(`\\b${hostPort} :`));
  });

  it('upgrades an older distro on start and keeps images and containers', async () => {
    expect(await berth(env, ['run', '-d', '--name', 'keeper', 'hello'])).toMatchObject({ code: 0 });
    expect(await berth(env, ['stop', '-t', '1', 'keeper'])).toMatchObject({ code: 0 });
    // The distro the app finds is older than the one it ships.
    await wsl(['-d', 'berth', '-u', 'root', '--exec', 'sh', '-c', 'echo 0 > /etc/berth-distro-version']);
    const { url } = await restartServe();
    await page.goto(url);
    await status().getByText('WSL 2').waitFor({ timeout: 120_000 });
    expect(serve!.output()).toMatch(/Saving images and containers… 0%[\s\S]*Restoring images and containers… 100%/);
    // The image's layers and the container's bundle came through: it starts without a pull and serves.
    expect(await berth(env, ['start', 'keeper'])).toMatchObject({ code: 0 });
    const [host, hostPort] = await publishedPort('keeper');
    expect(await httpGet(host, hostPort)).toContain('Hello from Berth');
    expect(await berth(env, ['rm', '-f', 'keeper'])).toMatchObject({ code: 0 });
  });

  const failures: [what: string, overrides: Record<string, string>, state: RegExp, fix: RegExp][] = [
    ['missing', { BERTH_WSL_EXE: '/nonexistent/System32/wsl.exe' }, /wsl\.exe was not found/, /wsl\.exe --install/],
    ['stub', { BERTH_WSL_SIM_MODE: 'stub' }, /not installed/, /wsl\.exe --install/],
    ['no-wsl2', { BERTH_WSL_SIM_MODE: 'no-wsl2' }, /WSL2 is not available/, /--install --no-distribution/],
    ['no-virtualization', { BERTH_WSL_SIM_MODE: 'no-virtualization' }, /virtualization is turned off/, /firmware settings/],
  ];

  it.each(failures)('shows what is wrong and its fix when WSL is %s', async (what, overrides, state, fix) => {
    // The imported distro is stopped, so starting it runs into what this case lacks.
    await wsl(['--shutdown']);
    const { url } = await restartServe(overrides);
    await page.goto(url);
    await status().getByText('Linux is not ready').waitFor();
    expect(await status().textContent()).toMatch(state);
    expect(await status().textContent()).toMatch(fix);
    // Where the lists will be, the whole fix, with its command as code.
    const panel = page.getByRole('region', { name: 'Linux set-up' });
    expect(await panel.textContent()).toMatch(fix);
    expect(await panel.locator('code').count()).toBeGreaterThan(0);
    await shots.take(page, `failure-${what}`);
    // The CLI says the same in one line, and nothing was started.
    const ps = await berth(env, ['ps']);
    expect(ps.code).not.toBe(0);
    expect(ps.stderr).toMatch(fix);
  });
});
