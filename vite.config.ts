import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The React renderer, built to dist/renderer with relative paths so file:// (Electron) and HTTP both load it. */
const renderer: UserConfig = {
  root: here('./renderer'),
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: here('./dist/renderer'),
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill is an inline script, which the Content-Security-Policy forbids; Chromium needs none.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
};

/** The Electron preload, bundled to one CommonJS file: a sandboxed preload can neither import ESM nor load other files. */
const preload: UserConfig = {
  build: {
    outDir: here('./dist/electron'),
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    lib: { entry: here('./electron/preload.ts'), formats: ['cjs'], fileName: () => 'preload.cjs' },
    rolldownOptions: { external: ['electron'] },
    reportCompressedSize: false,
  },
};

export default defineConfig(({ mode }) => (mode === 'preload' ? preload : renderer));
