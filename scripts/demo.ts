/**
 * `npm run demo`: the whole story, unattended, on its own local chain. Several members join the
 * demo plan, one suffers a loss and files a case at the claims desk with an evidence file
 * (encrypted on the member's side to the plan's assessors), the demo assessor opens it at the desk
 * and approves it, the member reads the approval, proves the claim on their own machine and sends
 * it through the relayer to a fresh address, and the payout lands. The summary shows the
 * transactions, the balances, and that neither the chain nor the desk's store links the payout to
 * the member or holds the case in the clear. Exits 0 only if every step succeeded. `--json` prints
 * the summary as JSON.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { type Address, createWalletClient, erc20Abi, formatEther, formatUnits, type Hex, http } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { loadDeskConfig } from "../service/desk/config.ts";
import { startDesk } from "../service/desk/server.ts";
import { loadConfig } from "../service/relayer/config.ts";
import { startRelayer } from "../service/relayer/server.ts";
import { approveCase, DeskClient, fileCase, openCaseAsAssessor, readDecision, signIn } from "../service/sdk/desk/index.ts";
import {
  buildClaim,
  claimSubmission,
  createIdentity,
  huzhuPoolAbi,
  loadAssessorTree,
  RelayerClient,
  releaseProver,
} from "../service/sdk/index.ts";
import { claimArtifacts } from "../service/sdk/node.ts";
import {
  type Chain,
  DEV_ROLES,
  demoGasDropPrices,
  deployLocal,
  devAccount,
  joinDesk,
  joinMembers,
  publicClientFor,
  startChain,
} from "./lib/stack.ts";

const json = process.argv.includes("--json");
const MEMBERS = 4;
const CLAIMANT = 2; // which member suffers the loss
const PERIODS = 12;
const AMOUNT = 250_000_000n; // 250 dUSD
/** A string in the case's statement and file: the desk's store must never hold it. */
const CASE_MARKER = "demo-case-plaintext-5e1d";
const erc20 = erc20Abi;

let step = 0;
function say(text: string): void {
  step += 1;
  if (!json) process.stdout.write(`[${step}] ${text}\n`);
}
function detail(text: string): void {
  if (!json) process.stdout.write(`    ${text}\n`);
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`check failed: ${what}`);
  detail(`ok: ${what}`);
}

let chain: Chain | undefined;

async function main(): Promise<Record<string, unknown>> {
  const port = Number(process.env.HUZHU_DEMO_CHAIN_PORT ?? 18_545 + Math.floor(Math.random() * 1000));
  say(`starting a local chain on 127.0.0.1:${port}`);
  chain = await startChain(port);
  const client = publicClientFor(chain.rpcUrl);
  const { record, assessor } = await deployLocal(chain.rpcUrl);
  const { pool, demoToken: token } = record;
  detail(`pool ${pool}, demo plan 1 paying in dUSD ${token}`);

  const relayer = await startRelayer(
    loadConfig({
      HUZHU_RPC_URL: chain.rpcUrl,
      HUZHU_POOL: pool,
      HUZHU_FROM_BLOCK: String(record.deployBlock),
      HUZHU_RELAYER_KEY: devAccount(DEV_ROLES.relayer).privateKey,
      HUZHU_RELAYER_PORT: "0",
      HUZHU_RELAYER_DATA_DIR: mkdtempSync(join(tmpdir(), "huzhu-demo-relayer-")),
      HUZHU_POLL_INTERVAL_MS: "200",
      HUZHU_RELAYER_GAS_DROP_PRICES: demoGasDropPrices(token),
    }),
    pino({ level: "warn" }),
  );
  const deskDir = mkdtempSync(join(tmpdir(), "huzhu-demo-desk-"));
  const desk = await startDesk(
    loadDeskConfig({
      HUZHU_RPC_URL: chain.rpcUrl,
      HUZHU_POOL: pool,
      HUZHU_FROM_BLOCK: String(record.deployBlock),
      HUZHU_DESK_PORT: "0",
      HUZHU_DESK_DATA_DIR: deskDir,
    }),
    pino({ level: "warn" }),
  );
  try {
    detail(`relayer ${relayer.address} (address ${relayer.gateway.relayer})`);

    say(`${MEMBERS} members join the plan, each paying ${PERIODS} periods from their own wallet`);
    const identities = Array.from({ length: MEMBERS }, () => createIdentity());
    const joined = await joinMembers(chain.rpcUrl, record, identities, PERIODS);
    const members = identities.map((identity, i) => ({ identity, wallet: joined[i]?.wallet as Address }));
    const joinTxs = joined.map((j) => j.tx);
    for (const [i, j] of joined.entries()) detail(`member ${i + 1}: wallet ${j.wallet} joined (tx ${j.tx})`);

    const claimant = members[CLAIMANT];
    if (!claimant) throw new Error("no claimant");

    say("the claims desk opens; the demo assessor signs in with its key and publishes its roster entry");
    await joinDesk(desk.address, assessor, 1n);
    detail(`desk ${desk.address}`);

    say(`member ${CLAIMANT + 1} suffers a loss and files a case at the desk with a hospital bill, asking ${formatUnits(AMOUNT, 6)} dUSD`);
    const ref = { client, pool, fromBlock: BigInt(record.deployBlock) };
    const deskClient = new DeskClient(desk.address);
    const bill = new TextEncoder().encode(`%PDF-1.4\n% Hospital bill: two nights, a cast. ${CASE_MARKER}\n%%EOF\n`);
    const filed = await fileCase({
      client: deskClient,
      identity: claimant.identity,
      planId: 1n,
      // The keys the case is encrypted to are checked against the assessor set read from the chain.
      assessorTree: await loadAssessorTree(ref, 1n),
      details: {
        category: "medical",
        dateOfLoss: new Date().toISOString().slice(0, 10),
        description: `Broken arm. ${CASE_MARKER}`,
        amount: AMOUNT,
      },
      files: [{ name: "hospital-bill.pdf", type: "application/pdf", bytes: bill }],
    });
    detail(`case ${filed.caseId}, encrypted on the member's side to the plan's assessors; event id chosen at random`);

    say("the assessor opens the case at the desk, decrypts the bill, and approves the claim");
    const signedIn = await signIn(deskClient, assessor, 1n);
    const session = { client: deskClient, token: signedIn.token, assessorKey: assessor };
    const queue = await deskClient.queue(1n, session.token, "new");
    check(
      queue.cases.some((c) => c.caseId === filed.caseId),
      "the case is in the plan's queue as new",
    );
    const view = await openCaseAsAssessor(session, filed.caseId);
    check(
      view.opened.document.commitment === claimant.identity.commitment && view.files[0]?.bytes.length === bill.length,
      "the case decrypts to the member's signed statement and the bill it sealed",
    );
    const decided = await approveCase(session, view, { amount: AMOUNT, expiresAtEpoch: 30n });
    check(decided.status === "approved", "the approval, signed by the assessor, is sealed to the member at the desk");

    const decision = await readDecision({
      client: deskClient,
      identity: claimant.identity,
      record: filed.record,
      assessorTree: await loadAssessorTree(ref, 1n),
    });
    if (decision?.kind !== "approve") throw new Error(`the member found no approval at the desk (${decision?.kind ?? "no decision"})`);
    const approval = decision.approval;
    check(
      approval.amount === AMOUNT && approval.eventId === filed.eventId,
      "the member opens the approval: its amount and the case's event id",
    );

    const recipientAccount = privateKeyToAccount(generatePrivateKey());
    const recipient = recipientAccount.address;
    const relayerClient = new RelayerClient(relayer.address);
    // A gas drop: the relayer sends a little coin to the fresh address with the payout, so it can move it on unlinked.
    const offer = (await relayerClient.info()).plans.find((p) => p.planId === "1")?.gasDrop;
    const quote = await relayerClient.quote(1n, AMOUNT, offer ? BigInt(offer.suggestedWei) : 0n);
    const gasDrop = BigInt(quote.quote.gasDrop);
    say(
      `the member asks the relayer for a quote: fee ${formatUnits(BigInt(quote.quote.fee), 6)} dUSD, including a gas drop of ${formatEther(gasDrop)} ETH; proves locally, paying to a fresh address ${recipient}`,
    );
    const claimantNonce = await client.getTransactionCount({ address: claimant.wallet });
    let lastPercent = -25;
    const built = await buildClaim(
      { client, pool, fromBlock: BigInt(record.deployBlock) },
      {
        identity: claimant.identity,
        approval,
        recipient,
        relayer: quote.quote.relayer,
        fee: BigInt(quote.quote.fee),
        gasDrop,
        artifacts: claimArtifacts(),
        onProgress: (p) => {
          if (p.percent - lastPercent >= 25 || p.percent === 100) {
            lastPercent = p.percent;
            detail(`proving: ${p.percent}% ${p.step}`);
          }
        },
      },
    );

    say("the member sends the proof to the relayer, which checks it and pays the gas");
    const submitted = await relayerClient.submitClaim(claimSubmission(quote, built.claimProof, recipient, built.request.memberRootSeq));
    detail(`claim ${submitted.id}: ${submitted.status}`);
    const final = await relayerClient.waitForClaim(submitted.id, {
      intervalMs: 200,
      timeoutMs: 120_000,
      onUpdate: (s) => detail(`status: ${s.status}`),
    });
    if (final.status !== "confirmed" || !final.txHash) throw new Error(`the claim ended ${final.status}: ${final.reason ?? "no reason"}`);

    say("the payout landed; checking what the chain shows");
    const tx = await client.getTransaction({ hash: final.txHash as Hex });
    const receipt = await client.getTransactionReceipt({ hash: final.txHash as Hex });
    const fee = BigInt(quote.quote.fee);
    const received = await client.readContract({ address: token, abi: erc20, functionName: "balanceOf", args: [recipient] });
    const relayerFee = await client.readContract({
      address: token,
      abi: erc20,
      functionName: "balanceOf",
      args: [relayer.gateway.relayer],
    });
    const books = await client.readContract({ address: pool, abi: huzhuPoolAbi, functionName: "books", args: [1n] });
    const poolBalance = await client.readContract({ address: token, abi: erc20, functionName: "balanceOf", args: [pool] });
    check(receipt.status === "success", "the claim transaction succeeded");
    check(received === AMOUNT - fee, `the recipient received amount - fee = ${formatUnits(AMOUNT - fee, 6)} dUSD`);
    check(relayerFee === fee, `the relayer received its fee of ${formatUnits(fee, 6)} dUSD`);
    check(
      tx.from.toLowerCase() === relayer.gateway.relayer.toLowerCase(),
      "the claim transaction was sent by the relayer, not by any member",
    );
    const wallets = members.map((m) => m.wallet.toLowerCase());
    check(
      !wallets.includes(recipient.toLowerCase()) && !wallets.includes(tx.from.toLowerCase()),
      "neither the sender nor the recipient is a member's wallet",
    );
    check(
      (await client.getTransactionCount({ address: claimant.wallet })) === claimantNonce,
      "the claimant's wallet sent nothing while claiming",
    );
    check(
      (await client.getTransactionCount({ address: recipient })) === 0,
      "the recipient address is fresh: it has never sent a transaction",
    );
    const logged = JSON.stringify([tx.input, receipt.logs.map((l) => [l.data, ...l.topics])]).toLowerCase();
    const leaks = members
      .flatMap((m) => [m.wallet.slice(2).toLowerCase(), m.identity.commitment.toString(16)])
      .filter((needle) => logged.includes(needle));
    check(leaks.length === 0, "the claim's calldata and events contain no member wallet and no identity commitment");
    // Every token the recipient ever received came from the pool: no transfer from a member's wallet joins them.
    const incoming = await client.getContractEvents({
      address: token,
      abi: erc20,
      eventName: "Transfer",
      args: { to: recipient },
      fromBlock: 0n,
    });
    check(
      incoming.length === 1 && incoming[0]?.args.from?.toLowerCase() === pool.toLowerCase(),
      "the recipient's only incoming token transfer is the pool's payout",
    );
    check(
      books.contributed - books.paidOut - books.fees === poolBalance,
      "the plan's books balance: contributed - paid - fees = pool balance",
    );
    check(
      gasDrop > 0n && (await client.getBalance({ address: recipient })) === gasDrop,
      `the recipient holds the gas drop, ${formatEther(gasDrop)} ETH, and no other coin`,
    );

    say("the fresh address moves its payout on, paying the gas from the drop alone (no top-up that would link it)");
    const onward = privateKeyToAccount(generatePrivateKey()).address;
    const recipientWallet = createWalletClient({ account: recipientAccount, transport: http(chain.rpcUrl) });
    const moveTx = await recipientWallet.writeContract({
      address: token,
      abi: erc20,
      functionName: "transfer",
      args: [onward, received],
      chain: null,
    });
    const moved = await client.waitForTransactionReceipt({ hash: moveTx });
    check(
      moved.status === "success" &&
        (await client.readContract({ address: token, abi: erc20, functionName: "balanceOf", args: [onward] })) === received,
      `the payout moved on to ${onward} in tx ${moveTx}`,
    );

    const stored = readdirSync(deskDir).map((name) => readFileSync(join(deskDir, name)));
    check(
      stored.length > 0 && stored.every((bytes) => !bytes.includes(CASE_MARKER)),
      "the desk's store holds the case only as ciphertext: neither its statement nor its file in the clear",
    );

    return {
      ok: true,
      chain: chain.rpcUrl,
      pool,
      token,
      relayer: relayer.gateway.relayer,
      desk: { url: desk.address, caseId: filed.caseId, status: decided.status },
      members: members.map((m, i) => ({ wallet: m.wallet, joinTx: joinTxs[i] })),
      claim: { id: submitted.id, txHash: final.txHash, block: String(receipt.blockNumber), nullifier: built.request.nullifier.toString() },
      payout: { recipient, amount: AMOUNT.toString(), fee: fee.toString(), received: received.toString(), gasDrop: gasDrop.toString() },
      movedOn: { to: onward, txHash: moveTx },
      books: {
        contributed: books.contributed.toString(),
        paidOut: books.paidOut.toString(),
        fees: books.fees.toString(),
        poolBalance: poolBalance.toString(),
      },
    };
  } finally {
    await desk.app.close();
    await relayer.app.close();
  }
}

main()
  .then(async (summary) => {
    if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      const s = summary as { claim: { txHash: string }; payout: { recipient: string; received: string }; books: Record<string, string> };
      process.stdout.write(
        `\nDemo complete: ${formatUnits(BigInt(s.payout.received), 6)} dUSD reached ${s.payout.recipient} in ${s.claim.txHash}; ` +
          `the plan holds ${formatUnits(BigInt(s.books.poolBalance ?? "0"), 6)} dUSD. Nothing on chain links the payout to the member.\n`,
      );
    }
    await chain?.stop();
    await releaseProver();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    await chain?.stop().catch(() => {});
    await releaseProver();
    process.exit(1);
  });
