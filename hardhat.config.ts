import { createRequire } from "node:module";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatViemAssertions from "@nomicfoundation/hardhat-viem-assertions";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
const solcVersion = (require("solc/package.json") as { version: string }).version;
const solcPath = require.resolve("solc/soljson.js");
const optimizer = { enabled: true, runs: 10_000 };
const viaIR = { version: solcVersion, path: solcPath, settings: { optimizer, evmVersion: "cancun", viaIR: true } };

export default defineConfig({
  plugins: [hardhatViem, hardhatViemAssertions, hardhatNetworkHelpers, hardhatNodeTestRunner, hardhatKeystore],
  solidity: {
    // The compiler ships inside the `solc` npm package: nothing is downloaded at build time.
    compilers: [{ version: solcVersion, path: solcPath, settings: { optimizer, evmVersion: "cancun" } }],
    overrides: {
      // The pool's claim path keeps many values live; the IR pipeline fits them on the stack.
      "contracts/HuzhuPool.sol": viaIR,
      // The Solidity tests (and their base) compile the pool, so they compile it the same way.
      "test/contracts/HuzhuPool.t.sol": viaIR,
      "test/contracts/PoolInvariants.t.sol": viaIR,
      "test/contracts/support/PoolTestBase.sol": viaIR,
      // PoseidonT4 (the member leaf) is written as Yul round functions. The legacy pipeline spends
      // most of a hash moving them on the stack (72k gas); the IR code generator needs 43k. The Yul
      // optimizer runs without its inliner: inlining the 64 rounds makes 33 KB, over the 24 KB limit.
      "poseidon-solidity/PoseidonT4.sol": {
        version: solcVersion,
        path: solcPath,
        settings: {
          optimizer: { enabled: true, details: { yulDetails: { optimizerSteps: "dhfoDgvulfnTUtnIf" } } },
          evmVersion: "cancun",
          viaIR: true,
        },
      },
    },
    // Library contracts from npm get artifacts only when listed: they are deployed and linked.
    // Semaphore is compiled only as the same-run anchor of the join gas benchmark.
    npmFilesToBuild: [
      "poseidon-solidity/PoseidonT3.sol",
      "poseidon-solidity/PoseidonT4.sol",
      "@semaphore-protocol/contracts/Semaphore.sol",
    ],
  },
  networks: {
    // `npm start` runs a Hardhat node here.
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    // Any EVM network: the RPC URL and deployer key come from the environment or Hardhat's
    // encrypted keystore (`npx hardhat keystore set HUZHU_DEPLOYER_KEY`), never from the repository.
    remote: {
      type: "http",
      url: configVariable("HUZHU_RPC_URL"),
      accounts: [configVariable("HUZHU_DEPLOYER_KEY")],
    },
  },
  test: {
    // Solidity fuzz and invariant tests (test/contracts/*.t.sol, `hardhat test solidity`): every
    // fuzz test runs 10,000 inputs; every invariant 10,000 sequences of calls.
    solidity: {
      fuzz: { runs: 10_000 },
      invariant: { runs: 10_000, depth: 20, failOnRevert: true },
    },
  },
  paths: {
    sources: "./contracts",
    tests: { nodejs: "./test/contracts", solidity: "./test/contracts" },
  },
});
