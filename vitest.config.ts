import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One directory holds every temporary file of the run; removed at its end.
    globalSetup: ['test/support/temp-root.ts'],
    // Integration and e2e tests share one Docker daemon; files run one at a
    // time so "nothing left behind" assertions see only their own resources.
    fileParallelism: false,
    maxWorkers: 1,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // The GitLab and CircleCI tests also boot the real node image.
          globalSetup: ['test/support/global-setup.ts', 'test/support/node-image-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/node-image-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 3_600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
