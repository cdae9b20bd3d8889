import { createRequire } from "node:module";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
const solcVersion = (require("solc/package.json") as { version: string }).version;

export default defineConfig({
  plugins: [hardhatViem],
  solidity: {
    // The compiler ships inside the `solc` npm package: nothing is downloaded at build time.
    version: solcVersion,
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "cancun",
    },
  },
  paths: {
    sources: "./contracts",
    tests: { solidity: "./contracts/test" },
  },
});
