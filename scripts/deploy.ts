/**
 * Deploys the Poseidon libraries, the claim verifier and the pool to a configured network and
 * writes the addresses to deployments/<network>-<chainId>.json, where clients read them.
 *
 *   npm run deploy -- --network localhost
 *   HUZHU_RPC_URL=... HUZHU_DEPLOYER_KEY=... npm run deploy -- --network remote --admin 0x...
 * (or keep the key in Hardhat's encrypted keystore: npx hardhat keystore set HUZHU_DEPLOYER_KEY)
 *
 * With `--setup DIR` (the folder `huzhu ceremony finalize` writes) the verifier is that setup's
 * ClaimVerifier.sol, compiled here; before the pool is deployed, a claim proven with the setup's
 * zkey must verify both against its verification key and in the deployed verifier, so a verifier
 * from another setup can never guard the pool. Without it, the insecure development verifier is used.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { network } from "hardhat";
import { type Address, getAddress } from "viem";
import { compileSolidity } from "../service/auditor/verifier-build.ts";
import {
  AssessorTree,
  claimVerifierAbi,
  createIdentity,
  generateAssessorKey,
  MemberTree,
  prepareClaim,
  proveClaim,
  randomFieldElement,
  releaseProver,
  signApproval,
  toSolidityProof,
  type VerificationKey,
  verifyClaimProof,
} from "../service/sdk/index.ts";
import { deployHuzhu, deploymentRecord } from "./lib/deploy.ts";
import { scriptLogger } from "./lib/log.ts";
import { ROOT, SETUP_DIR } from "./lib/paths.ts";
import { sha256File } from "./lib/ptau.ts";

const log = scriptLogger("deploy");
const SETUP_FILES = ["ClaimVerifier.sol", "verification_key.json", "claim.zkey", "claim.wasm"] as const;

type Viem = Awaited<ReturnType<typeof network.create>>["viem"];

/** Deploys a production setup's verifier and proves that it accepts that setup's proofs. */
async function deploySetupVerifier(viem: Viem, dir: string): Promise<Address> {
  const missing = SETUP_FILES.filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) {
    throw new Error(`${dir} lacks ${missing.join(", ")}: pass the folder \`huzhu ceremony finalize --out\` wrote`);
  }
  const compiled = compileSolidity("ClaimVerifier.sol", readFileSync(join(dir, "ClaimVerifier.sol"), "utf8"), "ClaimVerifier");
  const [deployer] = await viem.getWalletClients();
  const publicClient = await viem.getPublicClient();
  if (!deployer) throw new Error("no deployer account");
  const hash = await deployer.deployContract({ abi: compiled.abi, bytecode: compiled.bytecode });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const verifier = receipt.contractAddress;
  if (!verifier) throw new Error("the verifier deployment created no contract");
  log.info({ verifier }, "setup verifier deployed; checking it with a proof made from the setup's zkey");

  // A throw-away claim: its own member and assessor trees, proven with the setup's zkey.
  const identity = createIdentity();
  const assessor = generateAssessorKey();
  const approval = signApproval(assessor, {
    commitment: identity.commitment,
    planId: 1n,
    eventId: randomFieldElement(),
    amount: 1n,
    expiresAtEpoch: 1n,
  });
  const prepared = prepareClaim({
    identity,
    memberTree: MemberTree.from([{ commitment: identity.commitment, eligibleFrom: 0n, paidThrough: 1n }]),
    assessorTree: AssessorTree.from([assessor.publicKey]),
    approval,
    claimEpoch: 0n,
    context: randomFieldElement(),
  });
  const { proof, publicSignals } = await proveClaim(prepared, { wasm: join(dir, "claim.wasm"), zkey: join(dir, "claim.zkey") });
  const key = JSON.parse(readFileSync(join(dir, "verification_key.json"), "utf8")) as VerificationKey;
  if (!(await verifyClaimProof(key, proof, publicSignals))) {
    throw new Error(`${dir}: a proof made with claim.zkey fails against verification_key.json; the files come from different setups`);
  }
  const p = toSolidityProof(proof);
  const accepted = await publicClient.readContract({
    address: verifier,
    abi: claimVerifierAbi,
    functionName: "verifyProof",
    args: [p.a, p.b, p.c, publicSignals.map(BigInt) as never],
  });
  if (!accepted) {
    throw new Error(`${dir}: the deployed ClaimVerifier rejects a proof made with claim.zkey; ClaimVerifier.sol belongs to another setup`);
  }
  return verifier;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      network: { type: "string", default: "localhost" },
      admin: { type: "string" },
      setup: { type: "string" },
      rpc: { type: "string" },
      out: { type: "string" },
    },
  });
  const name = values.network ?? "localhost";
  const { viem } = await network.create(values.rpc ? { network: name, override: { url: values.rpc } } : { network: name });
  const [deployer] = await viem.getWalletClients();
  if (!deployer) throw new Error(`network ${name} has no deployer account: set HUZHU_DEPLOYER_KEY`);
  const admin = getAddress(values.admin ?? deployer.account.address);
  const setup = values.setup ? resolve(values.setup) : undefined;
  log.info({ network: name, deployer: deployer.account.address, admin, setup: setup ?? "development (INSECURE)" }, "deploying");
  const verifier = setup ? await deploySetupVerifier(viem, setup) : undefined;
  const d = await deployHuzhu(viem, { admin, verifier });
  const record = {
    ...deploymentRecord(name, d),
    admin,
    setup: setup ?? "development (insecure)",
    verificationKeySha256: await sha256File(join(setup ?? SETUP_DIR, "verification_key.json")),
  };
  const file = values.out ? resolve(values.out) : join(ROOT, "deployments", `${name}-${record.chainId}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  log.info({ ...record, file }, "deployed");
}

main().then(
  async () => {
    await releaseProver();
    process.exit(0);
  },
  async (error: unknown) => {
    log.error({ err: error }, `deployment failed: ${(error as Error).message}`);
    await releaseProver();
    process.exit(1);
  },
);
