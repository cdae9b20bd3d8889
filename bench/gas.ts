/**
 * Gas benchmark on Hardhat's in-process network: join, renew, assessor changes and a claim with a
 * real proof, the parts a join is made of, and the EIP-1108 floor of a claim with its inputs; then
 * a join with an admission voucher and a plan's closing (announcement, refund registration, withdrawal).
 */
import type { Logger } from "pino";
import { encodeFunctionData, type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { signAdmissionVoucher, voucherArgument } from "../service/sdk/chain/admission.ts";
import { generateAssessorKey, PUBLIC_SIGNALS, randomFieldElement, releaseProver } from "../service/sdk/index.ts";
import { updateSiblings } from "../service/sdk/tree-update.ts";
import { PLAN, poolFixture } from "../testkit/pool.ts";
import { type BenchEntry, entry, median } from "./stats.ts";

/** Gas of the calldata bytes (EIP-2028): 4 per zero byte, 16 per non-zero byte. */
function calldataGas(data: Hex): number {
  let gas = 0;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === "00" ? 4 : 16;
  return gas;
}

export interface GasBenchResult {
  entries: BenchEntry[];
  table: string;
}

export async function benchGas(log: Logger): Promise<GasBenchResult> {
  const f = await poolFixture();
  const { publicClient } = f;
  const gasOf = async (hash: Hex) => Number((await publicClient.waitForTransactionReceipt({ hash })).gasUsed);
  const execGas = async (hash: Hex) => {
    const tx = await publicClient.getTransaction({ hash });
    return (await gasOf(hash)) - 21_000 - calldataGas(tx.input);
  };

  log.info("gas: joins");
  const joins: number[] = [];
  const members = [];
  for (let i = 0; i < 8; i++) {
    const before = await publicClient.getBlockNumber();
    members.push(await f.join(400));
    const block = await publicClient.getBlock({ blockNumber: before + 1n, includeTransactions: true });
    const tx = block.transactions[0];
    if (!tx || typeof tx === "string") throw new Error("join transaction not found");
    joins.push(await gasOf(tx.hash));
  }
  // Parts of a join: one Poseidon(3) leaf and one ERC-20 transferFrom, each measured alone as its
  // own transaction (so gasUsed is exact) minus the base fee and calldata, plus the 2,600 a join pays
  // to reach the library or token account cold (a transaction's own `to` is already warm).
  const COLD_ACCOUNT = 2_600;
  const poseidonT4 = await f.viem.getContractAt("poseidon-solidity/PoseidonT4.sol:PoseidonT4", f.deployment.poseidonT4.address);
  const hashCall = encodeFunctionData({ abi: poseidonT4.abi, functionName: "hash", args: [[1n, 2n, 3n]] });
  const poseidonGas = (await execGas(await f.accounts.payer.sendTransaction({ to: poseidonT4.address, data: hashCall }))) + COLD_ACCOUNT;
  const token = await f.viem.getContractAt("DemoToken", f.token.address, { client: { wallet: f.accounts.payer } });
  await token.write.approve([f.accounts.payer.account.address, 10n ** 30n]);
  const transferFromGas =
    (await execGas(await token.write.transferFrom([f.accounts.payer.account.address, f.pool.address, 10n]))) + COLD_ACCOUNT;

  log.info("gas: renew and assessor changes");
  const record = f.memberTree.find(members[3]?.commitment ?? 0n);
  if (!record) throw new Error("member not found");
  const path = f.memberTree.proof(record);
  const renewGas = await gasOf(await f.asPayer.write.renew([f.planId, record.commitment, 3, updateSiblings(path)]));
  f.memberTree.update(Number(path.index), { ...record, paidThrough: record.paidThrough + 3n });
  const newKey = generateAssessorKey();
  // A second plan like the first: creation fills the plan's 100-slot member-root ring.
  const createGas = await gasOf(
    await f.pool.write.createPlan([{ ...PLAN, token: f.token.address, admin: f.accounts.planAdmin.account.address, name: "Medical" }]),
  );
  const addGas = await gasOf(await f.asPlanAdmin.write.addAssessor([f.planId, newKey.publicKey[0], newKey.publicKey[1]]));
  f.assessorTree.add(newKey.publicKey);
  const keyPath = f.assessorTree.proof(newKey.publicKey);
  const revokeGas = await gasOf(
    await f.asPlanAdmin.write.revokeAssessor([f.planId, newKey.publicKey[0], newKey.publicKey[1], updateSiblings(keyPath)]),
  );
  f.assessorTree.revoke(newKey.publicKey);
  const termsGas = await gasOf(
    await f.asPlanAdmin.write.setPlanTerms([
      f.planId,
      { termsHash: keccak256(toHex("terms")), category: 0, termsUri: "https://plans.example/terms.md" },
    ]),
  );
  // A donation from a wallet that holds tokens and approved the pool: one transferFrom and the books.
  await f.token.write.approve([f.pool.address, 10n ** 30n], { account: f.accounts.payer.account });
  const donateGas = await gasOf(await f.asPayer.write.donate([f.planId, 1_000_000n]));

  log.info("gas: claims with real proofs");
  await f.advanceEpochs(2);
  const claims: number[] = [];
  let floor = 0;
  for (let i = 0; i < 3; i++) {
    const claim = await f.makeClaim({ identity: members[i] as never });
    const hash = await f.asRelayer.write.claim([claim.request, claim.proof]);
    claims.push(await gasOf(hash));
    if (i === 0) {
      const tx = await publicClient.getTransaction({ hash });
      // The same two payouts alone: to a fresh recipient, and to the relayer who already holds tokens.
      const payer = await f.viem.getContractAt("DemoToken", f.token.address, { client: { wallet: f.accounts.payer } });
      const t1 = await execGas(await payer.write.transfer([`0x${"77".repeat(20)}`, 1n]));
      const t2 = await execGas(await payer.write.transfer([f.accounts.relayer.account.address, 1n]));
      floor = 181_000 + 6_150 * PUBLIC_SIGNALS.length + 21_000 + calldataGas(tx.input) + 22_100 + t1 + t2;
    }
  }
  // The same claim carrying a gas drop: the coin rides in the claim transaction to the fresh recipient.
  const DROP = 10n ** 15n;
  const dropped = await f.makeClaim({ identity: members[3] as never, gasDrop: DROP });
  const claimWithDropGas = await gasOf(await f.asRelayer.write.claim([dropped.request, dropped.proof], { value: DROP }));
  await releaseProver();

  // Semaphore v4's own addMember, compiled with the same compiler and settings, measured at the same
  // tree sizes: the first 8 members, and members 1,025-1,032 (a tree of depth 11).
  log.info("gas: Semaphore addMember at the same tree sizes");
  const semaphore = await f.viem.deployContract("Semaphore", [f.deployment.verifier.address], {
    libraries: { PoseidonT3: f.deployment.poseidonT3.address },
  });
  await semaphore.write.createGroup();
  const addMember = async () => gasOf(await semaphore.write.addMember([0n, randomFieldElement()]));
  const semaphoreSmall: number[] = [];
  for (let i = 0; i < joins.length; i++) semaphoreSmall.push(await addMember());
  const DEEP = 1_024;
  log.info({ members: DEEP }, "gas: growing both trees");
  for (let size = joins.length; size < DEEP; size += 64) {
    const batch = Array.from({ length: Math.min(64, DEEP - size) }, () => randomFieldElement());
    await semaphore.write.addMembers([0n, batch]);
  }
  for (let size = joins.length; size < DEEP; size++) await f.asPayer.write.join([f.planId, randomFieldElement(), 1]);
  const semaphoreDeep: number[] = [];
  const joinsDeep: number[] = [];
  for (let i = 0; i < joins.length; i++) {
    semaphoreDeep.push(await addMember());
    joinsDeep.push(await gasOf(await f.asPayer.write.join([f.planId, randomFieldElement(), 1])));
  }
  const [, treeSize] = await f.pool.read.memberTree([f.planId]);
  if (treeSize !== BigInt(DEEP + joins.length)) throw new Error(`expected ${DEEP + joins.length} members, found ${treeSize}`);

  // Admission vouchers: the second member of a fresh plan joins with the officer's voucher, against
  // the second member of another fresh plan joining without one. Then that plan closes: announced in
  // the current epoch (no grace), one member registered, its payer's refund withdrawn.
  log.info("gas: a join with a voucher, and closing a plan");
  const freshPlan = async (name: string) => {
    await f.pool.write.createPlan([{ ...PLAN, token: f.token.address, admin: f.accounts.planAdmin.account.address, name }]);
    const planId = await f.pool.read.planCount();
    await f.asPayer.write.join([planId, randomFieldElement(), 12]);
    return planId;
  };
  const openPlan = await freshPlan("Open");
  const plainSecondJoinGas = await gasOf(await f.asPayer.write.join([openPlan, randomFieldElement(), 12]));
  const vetted = await freshPlan("Vetted");
  const officer = privateKeyToAccount(generatePrivateKey());
  await f.asPlanAdmin.write.setAdmissionOfficer([vetted, officer.address]);
  const admitted = randomFieldElement();
  const voucher = await signAdmissionVoucher(officer, {
    chainId: BigInt(await publicClient.getChainId()),
    pool: f.pool.address,
    planId: vetted,
    commitment: admitted,
    expiresAt: (await publicClient.getBlock()).timestamp + 3_600n,
  });
  const voucherJoinGas = await gasOf(await f.asPayer.write.joinWithVoucher([vetted, admitted, 12, voucherArgument(voucher)]));
  const announceGas = await gasOf(await f.asPlanAdmin.write.announceClosing([vetted, await f.pool.read.currentEpoch([vetted])]));
  const timetable = await f.pool.read.closingOf([vetted]);
  await f.networkHelpers.time.increaseTo(timetable.refundsFrom);
  const registerGas = await gasOf(await f.asPayer.write.registerRefund([vetted, [admitted]]));
  await f.networkHelpers.time.increaseTo(timetable.refundsPayableFrom);
  const refundGas = await gasOf(await f.asPayer.write.withdrawRefund([vetted]));

  const claimGas = median(claims);
  const joinGas = median(joins);
  const semaphoreAddMember = [118_000, 157_000];
  const joinBudget = (semaphoreAddMember[1] ?? 0) + transferFromGas + poseidonGas;
  const parts = transferFromGas + poseidonGas;
  const semaphoreSmallGas = median(semaphoreSmall);
  const semaphoreDeepGas = median(semaphoreDeep);
  const joinDeepGas = median(joinsDeep);
  const entries = [
    entry("gas.claim", claimGas, "gas", floor),
    entry("gas.claim.floor", floor, "gas"),
    entry("gas.claim.vsSemaphoreValidateProof", claimGas, "gas", 285_600),
    entry("gas.claim.vsTornadoWithdraw", claimGas, "gas", 301_000),
    entry("gas.join", joinGas, "gas", joinBudget),
    entry("gas.join.vsSemaphoreMeasured", joinGas, "gas", semaphoreSmallGas + parts),
    entry("gas.join.deep", joinDeepGas, "gas", semaphoreDeepGas + parts),
    entry("gas.semaphore.addMember", semaphoreSmallGas, "gas"),
    entry("gas.semaphore.addMember.deep", semaphoreDeepGas, "gas"),
    entry("gas.join.part.poseidonT4Leaf", poseidonGas, "gas"),
    entry("gas.join.part.erc20TransferFrom", transferFromGas, "gas"),
    entry("gas.renew", renewGas, "gas"),
    entry("gas.plan.create", createGas, "gas"),
    entry("gas.assessor.add", addGas, "gas"),
    entry("gas.assessor.revoke", revokeGas, "gas"),
    entry("gas.claim.withGasDrop", claimWithDropGas, "gas", claimGas),
    entry("gas.donate", donateGas, "gas", 21_000 + transferFromGas),
    entry("gas.plan.terms", termsGas, "gas"),
    entry("gas.join.withVoucher", voucherJoinGas, "gas", plainSecondJoinGas),
    entry("gas.plan.announceClosing", announceGas, "gas"),
    entry("gas.plan.refund.register", registerGas, "gas"),
    entry("gas.plan.refund", refundGas, "gas", 21_000 + transferFromGas),
  ];
  const table = [
    "| operation | gas | anchor | ratio |",
    "| --- | ---: | ---: | ---: |",
    `| claim (median of 3, real proofs) | ${claimGas} | floor ${floor} | ${(claimGas / floor).toFixed(3)}x |`,
    `| claim vs Semaphore v4 validateProof (published, no payout) | ${claimGas} | 285,600 | ${(claimGas / 285_600).toFixed(3)}x |`,
    `| claim vs Tornado Cash withdraw (published) | ${claimGas} | 301,000 | ${(claimGas / 301_000).toFixed(3)}x |`,
    `| join (median of 8, members 1-8) | ${joinGas} | budget ${joinBudget} | ${(joinGas / joinBudget).toFixed(3)}x |`,
    `| join, same members, vs Semaphore addMember measured here (${semaphoreSmallGas}) + the two parts | ${joinGas} | ${semaphoreSmallGas + parts} | ${(joinGas / (semaphoreSmallGas + parts)).toFixed(3)}x |`,
    `| join (median of 8, members ${DEEP + 1}-${DEEP + joins.length}) vs Semaphore addMember there (${semaphoreDeepGas}) + the two parts | ${joinDeepGas} | ${semaphoreDeepGas + parts} | ${(joinDeepGas / (semaphoreDeepGas + parts)).toFixed(3)}x |`,
    `| - of which a Poseidon(3) leaf alone | ${poseidonGas} | | |`,
    `| - of which an ERC-20 transferFrom alone | ${transferFromGas} | | |`,
    `| renew | ${renewGas} | | |`,
    `| create plan (fills the 100-slot member-root ring, once per plan) | ${createGas} | | |`,
    `| add assessor | ${addGas} | | |`,
    `| revoke assessor | ${revokeGas} | | |`,
    `| claim with a gas drop to the fresh recipient, vs the claims above | ${claimWithDropGas} | ${claimGas} | ${(claimWithDropGas / claimGas).toFixed(3)}x |`,
    `| donate, vs a transaction of one ERC-20 transferFrom | ${donateGas} | ${21_000 + transferFromGas} | ${(donateGas / (21_000 + transferFromGas)).toFixed(3)}x |`,
    `| set a plan's terms (hash, category, a 30-byte URL) | ${termsGas} | | |`,
    `| join with an admission voucher (EIP-712, member 2), vs the same join without one | ${voucherJoinGas} | ${plainSecondJoinGas} | ${(voucherJoinGas / plainSecondJoinGas).toFixed(3)}x |`,
    `| announce a plan's closing | ${announceGas} | | |`,
    `| register one member's unused periods for a refund | ${registerGas} | | |`,
    `| withdraw a refund, vs a transaction of one ERC-20 transferFrom | ${refundGas} | ${21_000 + transferFromGas} | ${(refundGas / (21_000 + transferFromGas)).toFixed(3)}x |`,
  ].join("\n");
  log.info({ joins, claims, floor }, "gas measured");
  return { entries, table };
}
