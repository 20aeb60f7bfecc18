import { defineConfig } from 'vitest/config';

// Test tiers live in the file names: *.unit.spec.ts (pure logic), *.int.spec.ts (one service on real
// Kafka/PostgreSQL/RabbitMQ/Celery), tests/**/*.e2e.spec.ts (the running stack, black box).
// `npx vitest run --project unit` runs one tier.
const ignore = ['**/node_modules/**', 'infra/local/.work/**'];
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['**/*.unit.spec.ts'], exclude: ignore } },
      {
        test: {
          name: 'int',
          include: ['**/*.int.spec.ts'],
          exclude: ignore,
          globalSetup: ['tests/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/**/*.e2e.spec.ts'],
          exclude: ignore,
          globalSetup: ['tests/harness/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // tests/chaos: two replicas of every service behind HAProxy, faults under load (~8 min).
        test: {
          name: 'chaos',
          include: ['tests/chaos/**/*.chaos.spec.ts'],
          exclude: ignore,
          globalSetup: ['tests/harness/global-setup.ts'],
          testTimeout: 900_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
