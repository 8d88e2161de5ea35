import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** The sizes Linux desktops look for (NxN.png in the icon folder); 256 doubles as the Windows icon. */
export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

/** The project's build/icons folder, whether this runs from source or from dist/. */
function iconsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'build')}`) ? resolve(here, '..', '..', '..', 'build', 'icons') : here;
}

/**
 * Renders icon.svg to PNGs with Chromium (Debian's, as the tests use): NxN.png for each size, and
 * icon.png (512) for electron-builder's Windows and window icons.
 */
export async function renderIcons(dir = iconsDir()): Promise<string[]> {
  const svg = await readFile(join(dir, 'icon.svg'));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const written: string[] = [];
  try {
    const page = await browser.newPage();
    const source = `data:image/svg+xml;base64,${svg.toString('base64')}`;
    for (const size of ICON_SIZES) {
      await page.setViewportSize({ width: size, height: size });
      await page.setContent(`<body style="margin:0;background:transparent"><img src="${source}" width="${size}" height="${size}" style="display:block"></body>`);
      await page.locator('img').evaluate((img) => (img as unknown as { decode(): Promise<void> }).decode());
      const targets = size === 512 ? [`${size}x${size}.png`, 'icon.png'] : [`${size}x${size}.png`];
      for (const name of targets) {
        await page.screenshot({ path: join(dir, name), omitBackground: true });
        written.push(join(dir, name));
      }
    }
  } finally {
    await browser.close();
  }
  return written;
}

const invoked = process.argv[1];
if (invoked !== undefined && import.meta.url === pathToFileURL(resolve(invoked)).href) {
  renderIcons().then(
    (paths) => console.log(paths.join('\n')),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
