import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['electron/**/*.test.ts', 'shared/**/*.test.ts', 'e2e/**/*.test.ts', 'build/**/*.test.ts', 'renderer/**/*.test.ts'],
    // Integration tests start real containers and registries: give them room, but catch hangs.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
