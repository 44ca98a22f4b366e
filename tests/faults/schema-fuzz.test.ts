// The full schema fuzz of issue #10: 10,000 schema-violating updates from a member's stock client, on one storage
// (Postgres when DATABASE_URL is set, else PGlite). npm test runs the same suite with 1,000 on every storage
// (tests/integration/schema-fuzz.test.ts); each refusal costs the sender a new socket, so the full run belongs with the
// other long fault tests.
process.env.SCHEMA_FUZZ_UPDATES ??= '10000';
process.env.SCHEMA_FUZZ_STORAGE ??= 'last';
await import('../integration/schema-fuzz.test.ts');
export {};
