// The full schema fuzz of issue #10: 10,000 schema-violating updates from a member's stock client, on every storage.
// npm test runs the same suite with 1,000 (tests/integration/schema-fuzz.test.ts); each refusal costs the sender a
// new socket, so the full run belongs with the other long fault tests.
process.env.SCHEMA_FUZZ_UPDATES ??= '10000';
await import('../integration/schema-fuzz.test.ts');
export {};
