/**
 * Deploys the Poseidon libraries, the claim verifier and the pool to a configured network and
 * writes the addresses to deployments/<network>-<chainId>.json, where clients read them.
 *
 *   npm run deploy -- --network localhost
 *   HUZHU_RPC_URL=... HUZHU_DEPLOYER_KEY=... npm run deploy -- --network remote --admin 0x...
 * (or keep the key in Hardhat's encrypted keystore: npx hardhat keystore set HUZHU_DEPLOYER_KEY)
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { network } from "hardhat";
import { getAddress } from "viem";
import { deployHuzhu, deploymentRecord } from "./lib/deploy.ts";
import { scriptLogger } from "./lib/log.ts";
import { ROOT, SETUP_DIR } from "./lib/paths.ts";
import { sha256File } from "./lib/ptau.ts";

const log = scriptLogger("deploy");

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { network: { type: "string", default: "localhost" }, admin: { type: "string" } } });
  const name = values.network ?? "localhost";
  const { viem } = await network.create({ network: name });
  const [deployer] = await viem.getWalletClients();
  if (!deployer) throw new Error(`network ${name} has no deployer account: set HUZHU_DEPLOYER_KEY`);
  const admin = getAddress(values.admin ?? deployer.account.address);
  log.info({ network: name, deployer: deployer.account.address, admin }, "deploying");
  const d = await deployHuzhu(viem, { admin });
  const record = {
    ...deploymentRecord(name, d),
    admin,
    verificationKeySha256: await sha256File(join(SETUP_DIR, "verification_key.json")),
  };
  await mkdir(join(ROOT, "deployments"), { recursive: true });
  const file = join(ROOT, "deployments", `${name}-${record.chainId}.json`);
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  log.info({ ...record, file }, "deployed");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log.error({ err: error }, "deployment failed: check the RPC URL, the deployer key and its balance");
    process.exit(1);
  },
);
