// vitest configuration of `npm run bench:collect` only (the benchmark reuses the TypeScript fake CloudTrail server,
// so it runs under vitest rather than plain node). Never part of `npm test`.
import { defineConfig } from 'vitest/config';

// eslint-disable-next-line no-restricted-syntax -- vitest loads a default export
export default defineConfig({
  test: { include: ['scripts/bench-collect.bench.ts'], testTimeout: 600_000, pool: 'forks', reporters: ['default'] },
});
