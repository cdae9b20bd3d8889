/**
 * The claims desk's cost on this machine (`npm run bench -- desk`, or `node bench/desk.ts`):
 * filing a case with a 5 MB evidence file from Node (seal + upload over HTTP to a desk on
 * 127.0.0.1), and how many small cases a desk accepts per second, beside the relayer's rate of
 * accepting valid claims when both are measured in one `npm run bench`.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { pino } from "pino";
import { ROOT } from "../scripts/lib/paths.ts";
import { deployLocal, freePort, joinMembers, publicClientFor, startChain } from "../scripts/lib/stack.ts";
import { buildDeskApp } from "../service/desk/app.ts";
import { DeskChain } from "../service/desk/chain.ts";
import { DESK_SCHEMA } from "../service/desk/schema.ts";
import { DeskStore } from "../service/desk/store.ts";
import { openSqlite } from "../service/kit/sql.ts";
import { type SealedCase, sealCase } from "../service/sdk/desk/case.ts";
import { createRosterEntry } from "../service/sdk/desk/roster.ts";
import { createIdentity } from "../service/sdk/index.ts";
import { type BenchEntry, entry, median, runAlone } from "./stats.ts";

const FILE_ROUNDS = 5;
const SMALL_CASES = 300;
const CLIENTS = 4;

/** The relayer's acceptance rate from docs/benchmarks.json, for a run of this part alone. */
function storedRelayerRate(): number | null {
  try {
    const rows = JSON.parse(readFileSync(join(ROOT, "docs", "benchmarks.json"), "utf8")) as BenchEntry[];
    return rows.find((row) => row.name === "relayer.accept.valid_claims_per_second")?.value ?? null;
  } catch {
    return null;
  }
}

export async function benchDesk(log: Logger, relayerRateThisRun: number | null = null): Promise<{ entries: BenchEntry[]; table: string }> {
  const relayerAcceptPerSecond = relayerRateThisRun ?? storedRelayerRate();
  const chain = await startChain(await freePort());
  try {
    const deployment = await deployLocal(chain.rpcUrl);
    const member = createIdentity();
    await joinMembers(chain.rpcUrl, deployment.record, [member], 12);
    const client = publicClientFor(chain.rpcUrl);
    const db = await openSqlite(join(mkdtempSync(join(tmpdir(), "huzhu-bench-desk-")), "desk.sqlite"), DESK_SCHEMA);
    const app = await buildDeskApp({
      log: pino({ level: "silent" }),
      store: new DeskStore(db),
      chain: new DeskChain(client, deployment.record.pool, BigInt(deployment.record.deployBlock)),
      chainId: deployment.record.chainId,
      name: "Bench desk",
      origin: "http://desk.bench",
      sessionTtlSeconds: 3600,
      rateLimitPerMinute: 10_000_000,
    });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const roster = [await createRosterEntry(deployment.assessor, 1n)];
      const seal = (bytes: Uint8Array | undefined) =>
        sealCase({
          identity: member,
          planId: 1n,
          roster,
          details: { category: "medical", dateOfLoss: "2026-11-01", description: "Hospital stay after a fall", amount: 50_000_000n },
          files: bytes ? [{ name: "bill.pdf", type: "application/pdf", bytes }] : [],
        });
      const upload = async (sealed: SealedCase) => {
        const created = await fetch(`${url}/v1/cases`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...sealed.envelope, capabilityHash: sealed.capabilityHash }),
        });
        if (created.status !== 201) throw new Error(`case refused: ${created.status} ${await created.text()}`);
        const { caseId } = (await created.json()) as { caseId: string };
        for (const [index, file] of sealed.files.entries()) {
          const put = await fetch(`${url}/v1/cases/${caseId}/files/${index}`, {
            method: "PUT",
            headers: { "content-type": "application/octet-stream", authorization: `Bearer ${sealed.capability}` },
            body: file as Uint8Array<ArrayBuffer>,
          });
          if (put.status !== 200) throw new Error(`file refused: ${put.status} ${await put.text()}`);
        }
      };

      // Filing with a 5 MB file: seal (encrypt) and upload, as the member's client does.
      const evidence = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 7919) % 256);
      const fileTimes: number[] = [];
      const sealTimes: number[] = [];
      for (let round = 0; round <= FILE_ROUNDS; round++) {
        const t = performance.now();
        const sealed = await seal(evidence);
        const sealedAt = performance.now();
        await upload(sealed);
        if (round > 0) {
          fileTimes.push(performance.now() - t);
          sealTimes.push(sealedAt - t);
        }
        log.info({ round, ms: Math.round(performance.now() - t) }, "desk: filed a 5 MB case");
      }

      // Small cases (a sealed document, no file), sealed beforehand: the desk's own acceptance rate.
      const small: SealedCase[] = [];
      for (let i = 0; i < SMALL_CASES; i++) small.push(await seal(undefined));
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < small.length) {
            const sealed = small[next++];
            if (sealed) await upload(sealed);
          }
        }),
      );
      const perSecond = SMALL_CASES / ((performance.now() - started) / 1000);
      log.info({ perSecond: Math.round(perSecond) }, "desk: small cases accepted per second");

      const fileMs = median(fileTimes);
      const sealMs = median(sealTimes);
      const entries = [
        entry("desk.fileCase.5MB.node", fileMs, "ms"),
        entry("desk.acceptCases.perSecond", perSecond, "cases/s", relayerAcceptPerSecond),
      ];
      const f = (x: number) => Math.round(x).toLocaleString("en-US");
      const anchor =
        relayerAcceptPerSecond === null
          ? "(run with the relayer's part for its rate in the same run)"
          : `the relayer, ${relayerRateThisRun === null ? "its last recorded run" : "same run"}: ${f(relayerAcceptPerSecond)} valid claims/s (ratio ${(perSecond / relayerAcceptPerSecond).toFixed(1)})`;
      const table = `| desk | value | note |
| --- | ---: | --- |
| file a case with a 5 MB file from Node (seal + upload), median of ${FILE_ROUNDS} (\`desk.fileCase.5MB.node\`) | ${f(fileMs)} ms | of which sealing ${f(sealMs)} ms |
| small cases accepted per second, ${CLIENTS} clients (\`desk.acceptCases.perSecond\`) | ${f(perSecond)} | ${anchor} |`;
      return { entries, table };
    } finally {
      await app.close();
      await db.close();
    }
  } finally {
    await chain.stop();
  }
}

if (import.meta.main) runAlone("desk", (log) => benchDesk(log));
