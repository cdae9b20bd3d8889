import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Contract tests run under Hardhat's node:test runner (`hardhat test`), which measures coverage.
    exclude: ["test/contracts/**", "node_modules/**"],
    // Proofs take about a second each on 2 cores; end-to-end suites take longer.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    maxWorkers: 2,
    // The circuit's witness calculator prints every failed assertion; negative tests assert them.
    onConsoleLog: (log) => !log.includes("Error in template"),
  },
});
