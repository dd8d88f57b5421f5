import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig, type Plugin } from "vitest/config";

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

/**
 * Test-only bindings for the Worker project. NOT secrets: constants that exist so the Worker can
 * start in tests; a deployment sets its own with `wrangler secret put`.
 */
export const WORKER_TEST_BINDINGS = {
  VIRKER_PSEUDONYM_KEY: "74657374206f6e6c79".padEnd(64, "0"),
  VIRKER_ADMIN_TOKEN: "test-only-admin-token-not-a-secret-0000",
};

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/worker/**", "**/node_modules/**"],
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
          include: ["tests/worker/**/*.test.ts"],
        },
      },
    ],
  },
});
