import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
