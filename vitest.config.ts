import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The corpus and system suites have configurations of their own (see .ci/run).
    exclude: ["test/corpus/**", "test/system/**"],
    testTimeout: 60_000,
    globalSetup: ["test/global-setup.ts"],
    // Vitest's default leaves one CPU idle; here some tests wait on a child process or a
    // worker thread, so two workers pay even on two cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // The test files share one module graph per worker: no file mocks a
    // module or leaves global state changed, and importing the sources once
    // instead of per file saves about a fifth of the run.
    isolate: false,
    // GitHub's workflow parser imports its schema JSON without an import
    // attribute, which Node 20 refuses: let Vite load it instead.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
