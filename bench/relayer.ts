/**
 * Relayer benchmark against a Hardhat node on 127.0.0.1 and a relayer process of its own:
 * valid claims accepted per second beside the verification ceiling (cores / warm verify time),
 * accept latency, service under a flood of invalid proofs from several clients (each from its own
 * loopback address), claims confirmed per minute with interval mining, and two instances sharing a
 * PostgreSQL store: their acceptance rate beside the single instance's, and how long the survivor
 * takes to become the writer when the writer is killed.
 * Runs alone with `node bench/relayer.ts`.
 */

import { mkdtempSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { callFrom } from "../scripts/lib/loopback.ts";
import { startPostgres, type TestPostgres } from "../scripts/lib/postgres.ts";
import {
  deployLocal,
  devAccount,
  freePort,
  joinMembers,
  publicClientFor,
  type RelayerProcess,
  rpc,
  spawnRelayer,
  startChain,
} from "../scripts/lib/stack.ts";
import {
  buildClaim,
  claimContext,
  createIdentity,
  type Identity,
  randomFieldElement,
  requestToJson,
  signApproval,
  verifyClaimProof,
} from "../service/sdk/index.ts";
import { claimArtifacts, loadVerificationKey } from "../service/sdk/node.ts";
import { type BenchEntry, entry, median, p95, runAlone } from "./stats.ts";

export interface RelayerBenchResult {
  entries: BenchEntry[];
  table: string;
}

export async function benchRelayer(log: Logger): Promise<RelayerBenchResult> {
  const chain = await startChain(await freePort());
  const running: RelayerProcess[] = [];
  let postgres: TestPostgres | undefined;
  try {
    const { record, assessor } = await deployLocal(chain.rpcUrl);
    const client = publicClientFor(chain.rpcUrl);
    const pool = record.pool;
    log.info("relayer: 8 members join");
    const members: Identity[] = Array.from({ length: 8 }, () => createIdentity());
    await joinMembers(chain.rpcUrl, record, members, 1000);
    const relayerEnv = (extra: Record<string, string> = {}) => ({
      HUZHU_RPC_URL: chain.rpcUrl,
      HUZHU_RELAYER_KEY: devAccount(1).privateKey,
      HUZHU_POOL: pool,
      HUZHU_FROM_BLOCK: String(record.deployBlock),
      HUZHU_RELAYER_PORT: "0",
      HUZHU_RELAYER_DATA_DIR: mkdtempSync(join(tmpdir(), "huzhu-bench-relayer-")),
      HUZHU_POLL_INTERVAL_MS: "200",
      HUZHU_LOG_LEVEL: "info",
      HUZHU_RATE_LIMIT_PER_MINUTE: "600",
      ...extra,
    });
    const launch = async (extra: Record<string, string> = {}) => {
      const process = await spawnRelayer(relayerEnv(extra));
      running.push(process);
      return process;
    };
    const relayer = await launch();
    const relayerAddress = devAccount(1).address;

    let made = 0;
    const makeClaims = async (count: number, quoteUrl = relayer.url) => {
      const bodies = [];
      for (let i = 0; i < count; i++) {
        const member = members[made % members.length] as Identity;
        made += 1;
        const quoteReply = await fetch(`${quoteUrl}/v1/quote`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ planId: "1", amount: "1000000" }),
        });
        const quote = (await quoteReply.json()) as { quote: { fee: string; relayer: Address }; signature: string };
        const approval = signApproval(assessor, {
          commitment: member.commitment,
          planId: 1n,
          eventId: randomFieldElement(),
          amount: 1_000_000n,
          expiresAtEpoch: 1000n,
        });
        const recipient = privateKeyToAccount(`0x${(made + 1000).toString(16).padStart(64, "0")}` as Hex).address;
        const built = await buildClaim(
          { client, pool, fromBlock: BigInt(record.deployBlock) },
          {
            identity: member,
            approval,
            recipient,
            relayer: quote.quote.relayer,
            fee: BigInt(quote.quote.fee),
            artifacts: claimArtifacts(),
          },
        );
        bodies.push({
          body: { quote: quote.quote, quoteSignature: quote.signature, request: requestToJson(built.request), proof: built.proof },
          built,
        });
      }
      return bodies;
    };
    const waitConfirmed = async (ids: string[], timeoutMs = 300_000, url = relayer.url) => {
      const deadline = Date.now() + timeoutMs;
      for (const id of ids) {
        for (;;) {
          const status = (await (await fetch(`${url}/v1/claims/${id}`)).json()) as { status: string; reason?: string };
          if (status.status === "confirmed") break;
          if (status.status === "failed") throw new Error(`claim ${id} failed: ${status.reason}`);
          if (Date.now() > deadline) throw new Error(`claim ${id} not confirmed in time`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };

    // 1. Valid claims accepted per second (blocks are not mined meanwhile, so acceptance is all that runs).
    const ACCEPT = 24;
    log.info({ claims: ACCEPT }, "relayer: proving claims for the acceptance run");
    const batch = await makeClaims(ACCEPT);
    const vkey = loadVerificationKey();
    const verifyMs: number[] = [];
    const chainId = BigInt(record.chainId);
    for (const { built } of batch) {
      const r = built.request;
      const signals = {
        ...built.claimProof.claim,
        context: claimContext({
          chainId,
          pool,
          planId: r.planId,
          recipient: r.recipient,
          relayer: r.relayer,
          fee: r.fee,
          gasDrop: r.gasDrop,
        }),
      };
      const t = performance.now();
      if (!(await verifyClaimProof(vkey, built.proof, signals))) throw new Error("a benchmark proof does not verify");
      verifyMs.push(performance.now() - t);
    }
    const verifyMedian = median(verifyMs.slice(2));
    const ceiling = (cpus().length * 1000) / verifyMedian;

    const CONCURRENCY = 4;
    /** Posts `items` from CONCURRENCY clients, client i to urls[i % urls.length], while no block is mined. */
    const acceptRun = async (items: typeof batch, urls: string[]) => {
      await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
      const latencies: number[] = [];
      const ids: string[] = [];
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, client) => {
          const url = urls[client % urls.length] as string;
          while (next < items.length) {
            const item = items[next++];
            if (!item) break;
            const t = performance.now();
            const reply = await fetch(`${url}/v1/claims`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(item.body),
            });
            latencies.push(performance.now() - t);
            const body = (await reply.json()) as { id: string; message?: string };
            if (reply.status !== 202) throw new Error(`claim refused: ${reply.status} ${body.message}`);
            ids.push(body.id);
          }
        }),
      );
      const perSecond = items.length / ((performance.now() - started) / 1000);
      return { latencies, ids, perSecond };
    };
    const { latencies, ids, perSecond: acceptedPerSecond } = await acceptRun(batch, [relayer.url]);
    // Mean time per acceptance stage, from the relayer's own metrics.
    const metricsText = await (await fetch(`${relayer.url}/metrics`)).text();
    const stageMean = (stage: string) => stageMeanOf([metricsText], stage);
    const stages = ["chain_checks", "quote", "verify", "simulate", "store"]
      .map((name) => `${name} ${stageMean(name).toFixed(1)}`)
      .join(", ");
    await rpc(chain.rpcUrl, "evm_mine");
    await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
    await waitConfirmed(ids);

    // 2. A flood of invalid proofs from three clients while an honest member submits and a monitor polls /health.
    log.info("relayer: flood of invalid proofs");
    const honest = await makeClaims(6);
    const [template] = await makeClaims(1);
    if (!template) throw new Error("no template");
    const bad = {
      ...template.body,
      proof: { ...template.body.proof, pi_a: [template.body.proof.pi_c[0], template.body.proof.pi_c[1], "1"] },
    };
    let flooding = true;
    const floodStatus = new Map<number, number>();
    const flooders = ["127.0.0.2", "127.0.0.3", "127.0.0.4"].flatMap((address) =>
      Array.from({ length: 4 }, async () => {
        while (flooding) {
          const reply = await callFrom(`${relayer.url}/v1/claims`, "POST", bad, address).catch(() => ({ status: 0, ms: 0 }));
          floodStatus.set(reply.status, (floodStatus.get(reply.status) ?? 0) + 1);
        }
      }),
    );
    const health: number[] = [];
    const monitor = (async () => {
      while (flooding) {
        health.push((await callFrom(`${relayer.url}/health`, "GET", undefined, "127.0.0.5")).ms);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const honestMs: number[] = [];
    let honestAccepted = 0;
    for (const { body } of honest) {
      const reply = await callFrom(`${relayer.url}/v1/claims`, "POST", body, "127.0.0.6");
      honestMs.push(reply.ms);
      if (reply.status === 202) honestAccepted += 1;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    flooding = false;
    await Promise.all([...flooders, monitor]);
    const floodTotal = [...floodStatus.values()].reduce((a, b) => a + b, 0);

    // 3. End to end with a block every second: claims confirmed per minute.
    log.info("relayer: end to end with interval mining");
    const E2E = 12;
    const e2eBatch = await makeClaims(E2E);
    await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
    await rpc(chain.rpcUrl, "evm_setIntervalMining", [1000]);
    const e2eStart = performance.now();
    const e2eIds = await Promise.all(
      e2eBatch.map(async ({ body }) => {
        const reply = await fetch(`${relayer.url}/v1/claims`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return ((await reply.json()) as { id: string }).id;
      }),
    );
    await waitConfirmed(e2eIds);
    const e2eMinutes = (performance.now() - e2eStart) / 60_000;
    await rpc(chain.rpcUrl, "evm_setIntervalMining", [0]);
    await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
    void relayerAddress;
    await relayer.stop();

    // 4. Two instances sharing a PostgreSQL store: acceptance, then the writer killed again and again.
    log.info("relayer: two instances sharing a PostgreSQL store");
    postgres = await startPostgres();
    const shared = { HUZHU_RELAYER_DATABASE_URL: postgres.url };
    const pair = [await launch(shared), await launch(shared)];
    const sharedBatch = await makeClaims(ACCEPT, pair[0]?.url);
    const sharedRun = await acceptRun(
      sharedBatch,
      pair.map((p) => p.url),
    );
    await rpc(chain.rpcUrl, "evm_mine");
    await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
    const sharedStoreMs = stageMeanOf(await Promise.all(pair.map(async (p) => (await fetch(`${p.url}/metrics`)).text())), "store");
    await waitConfirmed(sharedRun.ids, 300_000, pair[1]?.url);
    const gauge = async (p: RelayerProcess) =>
      Number(/^huzhu_relayer_writer (\d)$/m.exec(await (await fetch(`${p.url}/metrics`)).text())?.[1] ?? -1);
    const takeoverMs: number[] = [];
    const KILLS = 5;
    for (let i = 0; i < KILLS; i++) {
      let writer: RelayerProcess | undefined;
      for (let tries = 0; !writer && tries < 200; tries++) {
        for (const p of pair) if ((await gauge(p)) === 1) writer = p;
        if (!writer) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (!writer) throw new Error("no writer among the two instances");
      const survivor = pair.find((p) => p !== writer) as RelayerProcess;
      const killed = performance.now();
      await writer.stop("SIGKILL");
      while ((await gauge(survivor)) !== 1) {
        if (performance.now() - killed > 30_000) throw new Error("the survivor did not become the writer within 30 s");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      takeoverMs.push(performance.now() - killed);
      pair.splice(pair.indexOf(writer), 1, await launch(shared));
    }

    const entries = [
      entry("relayer.accept.valid_claims_per_second", acceptedPerSecond, "claims/s", ceiling),
      entry("relayer.verify.warm.median", verifyMedian, "ms"),
      entry("relayer.accept.latency.p50", median(latencies), "ms"),
      entry("relayer.accept.latency.p95", p95(latencies), "ms"),
      entry("relayer.flood.health.p95", p95(health), "ms"),
      entry("relayer.flood.honest_accept.p50", median(honestMs), "ms", median(latencies)),
      entry("relayer.flood.honest_accepted_fraction", honestAccepted / honest.length, "fraction"),
      entry("relayer.flood.requests", floodTotal, "requests"),
      entry("relayer.e2e.confirmed_per_minute", E2E / e2eMinutes, "claims/min"),
      entry("relayer.shared.valid_claims_per_second", sharedRun.perSecond, "claims/s", acceptedPerSecond),
      entry("relayer.shared.accept.latency.p50", median(sharedRun.latencies), "ms", median(latencies)),
      entry("relayer.shared.store_stage.mean", sharedStoreMs, "ms", stageMean("store")),
      entry("relayer.shared.takeover.median", median(takeoverMs), "ms"),
    ];
    const f = (x: number, d = 1) => x.toLocaleString("en-US", { maximumFractionDigits: d });
    const statusList = [...floodStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${n} x ${s}`)
      .join(", ");
    const table = [
      "| measure | value | beside |",
      "| --- | ---: | --- |",
      `| valid claims accepted per second (${ACCEPT} claims, 4 concurrent clients) | ${f(acceptedPerSecond)} | ceiling ${f(ceiling)} = ${cpus().length} cores / ${f(verifyMedian)} ms warm verify (ratio ${f(acceptedPerSecond / ceiling, 2)}) |`,
      `| accept latency p50 / p95 | ${f(median(latencies), 0)} / ${f(p95(latencies), 0)} ms | mean per stage (ms): ${stages} |`,
      `| under a flood of invalid proofs (3 clients x 4 connections, ${floodTotal} requests: ${statusList}): /health p95 | ${f(p95(health), 1)} ms | |`,
      `| under the flood: honest claims accepted | ${honestAccepted} / ${honest.length}, p50 ${f(median(honestMs), 0)} ms | p50 without flood ${f(median(latencies), 0)} ms |`,
      `| end to end, a block every second: claims confirmed per minute (${E2E} claims) | ${f(E2E / e2eMinutes)} | |`,
      `| two instances on one PostgreSQL store: valid claims accepted per second (${ACCEPT} claims, 4 clients split between them) | ${f(sharedRun.perSecond)} | one instance on SQLite: ${f(acceptedPerSecond)} (ratio ${f(sharedRun.perSecond / acceptedPerSecond, 2)}) |`,
      `| two instances: accept latency p50; mean store stage | ${f(median(sharedRun.latencies), 0)} ms; ${f(sharedStoreMs, 1)} ms | one instance on SQLite: ${f(median(latencies), 0)} ms; ${f(stageMean("store"), 1)} ms |`,
      `| writer killed (SIGKILL): until the other instance is the writer, median of ${KILLS} (range) | ${f(median(takeoverMs), 0)} ms | ${f(Math.min(...takeoverMs), 0)}-${f(Math.max(...takeoverMs), 0)} ms; polling interval 200 ms |`,
    ].join("\n");
    return { entries, table };
  } finally {
    for (const process of running) await process.stop();
    await postgres?.stop();
    await chain.stop();
  }
}

/** Mean time of one acceptance stage (ms) over the claims of one or more relayers, from their /metrics texts. */
function stageMeanOf(metricsTexts: string[], stage: string): number {
  let sum = 0;
  let count = 0;
  for (const text of metricsTexts) {
    sum += Number(new RegExp(`huzhu_relayer_accept_stage_seconds_sum\\{stage="${stage}"\\} ([0-9.e-]+)`).exec(text)?.[1] ?? 0);
    count += Number(new RegExp(`huzhu_relayer_accept_stage_seconds_count\\{stage="${stage}"\\} ([0-9]+)`).exec(text)?.[1] ?? 0);
  }
  return count > 0 ? (sum / count) * 1000 : Number.NaN;
}

if (import.meta.main) runAlone("relayer", benchRelayer);
