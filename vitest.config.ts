import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig, type Plugin } from "vitest/config";
import { WORKER_TEST_BINDINGS } from "./tests/worker/test-bindings.ts";

process.env.TZ = "UTC";

/** Protocol files imported as text, as wrangler's `Text` rule does when it bundles the Worker. */
const yamlAsText: Plugin = {
  name: "virker-yaml-as-text",
  enforce: "pre",
  transform(code, id) {
    if (!id.endsWith(".yaml")) return null;
    return { code: `export default ${JSON.stringify(code)};`, map: null };
  },
};

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two files at a time (vitest's default is one fewer than the cores: one on a 2-core machine).
    // Most test time waits on child processes, servers and Chromium, so two overlap well.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/worker/**/*.worker.test.ts", "**/node_modules/**"],
          environment: "node",
          pool: "forks",
        },
      },
      {
        extends: true,
        plugins: [
          yamlAsText,
          cloudflareTest({
            main: "./api/worker.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: WORKER_TEST_BINDINGS },
          }),
        ],
        test: {
          name: "worker",
          include: ["tests/worker/**/*.worker.test.ts"],
          // The Node server's answers to the parity sequence, for parity.worker.test.ts.
          globalSetup: ["tests/worker/parity.global-setup.ts"],
        },
      },
    ],
  },
});
