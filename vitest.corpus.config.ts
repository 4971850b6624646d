import { defineConfig } from "vitest/config";

// Runs only when ../shared/corpus exists (see .ci/run); `npm test` never needs it.
export default defineConfig({
  test: {
    include: ["test/corpus/**/*.test.ts"],
    testTimeout: 120_000,
  },
});
