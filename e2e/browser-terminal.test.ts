import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { berth, stopServe } from './fixtures/berth-cli.js';
import { launchChromium, Screenshots, startWebServe, type WebServe } from './fixtures/browser.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

const NAME = 'term-1';

describe.each(TEST_HOSTS)('the Terminal panel in the browser: xterm.js on an engine session on the %s host', { timeout: 180_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: WebServe;
  let browser: Browser;
  let page: Page;
  let shots: Screenshots;
  const cspViolations: string[] = [];

  const row = (): Locator => page.getByRole('row').filter({ has: page.getByText(NAME, { exact: true }) });
  const panel = (): Locator => page.getByRole('region', { name: 'Terminal' });
  const screen = (): Locator => panel().locator('.terminal-screen:visible');

  /** The lines the visible terminal shows, as text. */
  async function lines(): Promise<string[]> {
    return screen()
      .locator('.xterm-rows > div')
      .evaluateAll((rows) => rows.map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()));
  }

  async function waitForLine(matches: (line: string) => boolean, what: string): Promise<void> {
    for (const deadline = Date.now() + 15_000; ; ) {
      if ((await lines()).some(matches)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await lines())}`);
      await page.waitForTimeout(50);
    }
  }

  async function type(text: string): Promise<void> {
    await screen().click();
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
  }

  async function size(): Promise<{ cols: number; rows: number }> {
    const cols = Number(await screen().getAttribute('data-cols'));
    const rows = Number(await screen().getAttribute('data-rows'));
    return { cols, rows };
  }

  /** `stty size` in the shell answers the size the panel shows. */
  async function expectShellSize(): Promise<{ cols: number; rows: number }> {
    const { cols, rows } = await size();
    expect(cols).toBeGreaterThan(10);
    expect(rows).toBeGreaterThan(3);
    await type('stty size');
    await waitForLine((line) => line.trim() === `${rows} ${cols}`, `stty size ${rows} ${cols}`);
    return { cols, rows };
  }

  /** How many sessions the engine has running, asked over the API as the page does. */
  async function runningSessions(): Promise<number> {
    const token = new URL(serve.url).searchParams.get('token') ?? '';
    const ws = new WebSocket(`${serve.origin.replace('http:', 'ws:')}/api?token=${token}`, { origin: serve.origin });
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const answer = new Promise<{ result: { exitCode: number | null }[] }>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
      ws.send(JSON.stringify({ id: 1, method: 'terminal.list', params: {} }));
      return (await answer).result.filter((s) => s.exitCode === null).length;
    } finally {
      ws.close();
    }
  }

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    serve = await startWebServe(env.env);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    shots = await Screenshots.create(host === 'local' ? 'terminal' : `terminal-${host}`);
  });

  afterAll(async () => {
    await browser?.close();
    if (serve) {
      await berth(env.env, ['rm', '-f', NAME]);
      await stopServe(serve.child);
    }
    await env?.cleanup();
  });

  it('opens a shell, copies and pastes, follows resizes, detaches and reattaches with the earlier output, and shows the exit code', async () => {
    expect((await berth(env.env, ['run', '-d', '--name', NAME, 'hello'])).code).toBe(0);
    await page.goto(serve.url);
    await row().getByText('Running', { exact: true }).waitFor();

    // Terminal → a tab with a shell; what is typed runs there.
    await row().getByRole('button', { name: 'Terminal' }).click();
    await panel().getByRole('tab', { name: NAME }).waitFor();
    await screen().locator('.xterm-rows').waitFor();
    await type('echo $((6*7))');
    await waitForLine((line) => line.trim() === '42', '42');
    await shots.take(page, 'echo');

    // Copy and paste: Ctrl+Shift+C takes the selection (a double-clicked word), Ctrl+Shift+V types the clipboard.
    const answer = screen().locator('.xterm-rows > div').filter({ hasText: /^42\s*$/ }).last();
    // xterm's screen layer takes the mouse above its rows, so the click goes to where the row is.
    const box = (await answer.boundingBox())!;
    await page.mouse.dblclick(box.x + 4, box.y + box.height / 2);
    await page.keyboard.press('Control+Shift+C');
    await expect.poll(() => page.evaluate<string>('navigator.clipboard.readText()')).toBe('42');
    await page.evaluate("navigator.clipboard.writeText('echo pasted-$((7*8))')");
    await page.keyboard.press('Control+Shift+V');
    // The clipboard is read asynchronously: Enter only once the pasted text is on the line.
    await waitForLine((line) => line.endsWith('# echo pasted-$((7*8))'), 'the pasted text');
    await page.keyboard.press('Enter');
    await waitForLine((line) => line.trim() === 'pasted-56', 'the pasted command run');

    // The shell's size follows the window.
    const before = await expectShellSize();
    await page.setViewportSize({ width: 960, height: 640 });
    await expect.poll(async () => JSON.stringify(await size())).not.toBe(JSON.stringify(before));
    const after = await expectShellSize();
    expect(after.cols).toBeLessThan(before.cols);
    await shots.take(page, 'resized');

    // Closing the tab detaches; the session is still there, and reopening replays its output.
    await type('echo marker-$((40+2))');
    await waitForLine((line) => line.trim() === 'marker-42', 'marker-42');
    await panel().getByRole('button', { name: `Close tab ${NAME}` }).click();
    await panel().waitFor({ state: 'detached' });
    await row().getByRole('button', { name: 'Terminal' }).click();
    await panel().getByRole('tab', { name: NAME }).waitFor();
    await waitForLine((line) => line.trim() === 'marker-42', 'the replayed marker-42');
    await type('echo again-$((5*5))');
    await waitForLine((line) => line.trim() === 'again-25', 'again-25');
    await shots.take(page, 'reattached');

    // The shell's exit code is shown and the tab stays.
    await type('exit 3');
    await waitForLine((line) => line.includes('[process exited with code 3]'), 'the exit code');
    await panel().getByRole('tab', { name: `${NAME} · exited` }).waitFor();
    await shots.take(page, 'exited');

    // Close session on a second, new session ends it in the engine.
    await row().getByRole('button', { name: 'Terminal' }).click();
    await panel().getByRole('tab', { name: `${NAME} (2)` }).waitFor();
    expect(await runningSessions()).toBe(1);
    await panel().getByRole('button', { name: 'Close session' }).click();
    await panel().getByRole('tab', { name: `${NAME} (2)` }).waitFor({ state: 'detached' });
    await panel().getByRole('tab', { name: NAME }).waitFor();
    await expect.poll(runningSessions).toBe(0);

    expect(cspViolations).toEqual([]);
  });

  it('runs a container for its terminal from the Run dialog, shows its main process, detaches and attaches again', async () => {
    const name = 'tty-1';
    const ttyRow = page.getByRole('row').filter({ has: page.getByText(name, { exact: true }) });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Run a container' });
    await dialog.getByLabel('Image', { exact: true }).fill('hello');
    await dialog.getByLabel('Name', { exact: true }).fill(name);
    await dialog.getByLabel('Command', { exact: true }).fill('sh');
    await dialog.getByRole('switch', { name: /Interactive terminal/ }).check();
    await shots.take(page, 'run-dialog-terminal');
    await dialog.getByRole('button', { name: 'Run', exact: true }).click();

    // The main process's terminal opens by itself, with the prompt it printed before anyone looked.
    await panel().getByRole('tab', { name: `${name} · main` }).waitFor();
    await waitForLine((line) => line.startsWith('/ #'), 'the prompt');
    await type('echo main-$((6*7))');
    await waitForLine((line) => line.trim() === 'main-42', 'main-42');
    await expectShellSize();
    await shots.take(page, 'main-process');

    // Detach leaves it running; its row attaches again.
    await panel().getByRole('button', { name: 'Detach' }).click();
    await panel().getByRole('tab', { name: `${name} · main` }).waitFor({ state: 'detached' });
    await ttyRow.getByText('Running', { exact: true }).waitFor();
    await ttyRow.getByRole('button', { name: 'Attach to main process' }).click();
    await panel().getByRole('tab', { name: `${name} · main` }).waitFor();
    await type('exit 4');
    await waitForLine((line) => line.includes('[process exited with code 4]'), 'the exit code');
    await ttyRow.getByText(/Exited \(4\)/).waitFor();
    // An ended main process has nothing to detach from: its tab just closes.
    await panel().getByRole('button', { name: 'Close session' }).waitFor();
    await shots.take(page, 'main-process-exited');
    expect((await berth(env.env, ['rm', name])).code).toBe(0);
  });
});
