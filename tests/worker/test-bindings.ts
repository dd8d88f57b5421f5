/**
 * Bindings of the Worker test project and the parity fixture. NOT secrets: constants that let the
 * Worker start in tests; a deployment sets its own with `wrangler secret put`.
 */
export const WORKER_TEST_BINDINGS = {
  VIRKER_PSEUDONYM_KEY: "74657374206f6e6c79".padEnd(64, "0"),
  VIRKER_ADMIN_TOKEN: "test-only-admin-token-not-a-secret-0000",
  // An Ed25519 private JWK made for these tests only (as `virker key create` prints one).
  VIRKER_SIGNING_KEY: JSON.stringify({ kty: "OKP", crv: "Ed25519", d: "bNONYeTPiYft8aay2XI3vdOBApsekA1hUofTrl8h-Qc", x: "ZTeuxXHICqHEkb5PzHwenuQi0-wGjG3jVcDo0FTSG4o" }),
};

/** The fixed time of the Worker route and parity tests (inside the shipped protocols' windows). */
export const WORKER_TEST_NOW = new Date("2026-06-01T10:00:00.000Z");
