import { defineConfig } from 'vitest/config';

/** The one test that loads DynamoDB Local for minutes (a shipment with 10,000 events). */
const HEAVY = 'tests/integration/long-history.test.ts';

export default defineConfig({
  test: {
    // Integration and end-to-end files each start servers; two cores, so keep it modest.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'parcelcast',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/rehearsal/**', HEAVY],
          globalSetup: ['tests/support/global-setup.ts'],
          setupFiles: ['tests/support/setup.ts'],
        },
      },
      {
        // The deploy rehearsal builds every function twice and runs moto: on two cores it would
        // starve the end-to-end tests' start-up deadlines, so it runs after them, on its own.
        extends: true,
        test: { name: 'rehearsal', include: ['tests/rehearsal/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
      {
        // 10,000 events through DynamoDB Local keep it busy for a minute: beside other files, their
        // calls to it would starve past their timeouts. So it runs last, on its own DynamoDB Local.
        extends: true,
        test: {
          name: 'long-history',
          include: [HEAVY],
          globalSetup: ['tests/support/global-setup.ts'],
          setupFiles: ['tests/support/setup.ts'],
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
