/**
 * Bindings of the Worker test project and the parity fixture. NOT secrets: constants that let the
 * Worker start in tests; a deployment sets its own with `wrangler secret put`.
 */
export const WORKER_TEST_BINDINGS = {
  VIRKER_PSEUDONYM_KEY: "74657374206f6e6c79".padEnd(64, "0"),
  VIRKER_ADMIN_TOKEN: "test-only-admin-token-not-a-secret-0000",
};

/** The fixed time of the Worker route and parity tests (inside the shipped protocols' windows). */
export const WORKER_TEST_NOW = new Date("2026-06-01T10:00:00.000Z");
