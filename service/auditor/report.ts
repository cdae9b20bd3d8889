/** The audit report for people (tables) and for machines (JSON, every number as a decimal string). */
import type { AuditReport } from "./audit.ts";

/** JSON with bigints as decimal strings. */
export function reportJson(report: AuditReport): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2);
}

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A unix time (seconds) as an ISO date, to the minute. */
function isoTime(seconds: bigint): string {
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 16)}Z`;
}

export function reportText(report: AuditReport): string {
  const out: string[] = [];
  out.push(`Huzhu audit of pool ${report.pool} on chain ${report.chainId}, blocks ${report.fromBlock}..${report.toBlock}`);
  const v = report.verifier;
  out.push(
    `Verifier ${v.address}: ${v.embedsKey ? "embeds the published verification key" : `DOES NOT embed the published key (missing ${v.missingConstants.length} constants)`}` +
      `, ${v.rejectsInvalidProof ? "rejects an invalid proof" : "ACCEPTS an invalid proof"} (key sha256 ${v.vkeyHash.slice(0, 16)}…)`,
  );
  out.push(
    v.rebuild.matches
      ? `Verifier bytecode: identical to the rebuild from the key (${v.rebuild.build})`
      : `Verifier bytecode: differs from the rebuild from the key (${v.rebuild.build}); compiled with other settings, or not snarkjs's verifier`,
  );
  out.push("");
  out.push(
    table(
      ["plan", "name", "members", "contributions", "donations", "claims", "paid", "fees", "balance", "verified", "failed"],
      report.plans.map((p) => [
        p.planId.toString(),
        p.name,
        `${p.members}${p.renewals > 0 ? ` (+${p.renewals} renewals)` : ""}`,
        p.contributions.toString(),
        p.donations.toString(),
        String(p.claims),
        p.paid.toString(),
        p.fees.toString(),
        p.balance.toString(),
        String(p.verified),
        String(p.failed),
      ]),
      new Set([0, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    ),
  );
  const closing = report.plans.filter((p) => p.closing !== undefined);
  if (closing.length > 0) {
    out.push("");
    out.push(
      table(
        ["closing plan", "last cover epoch", "claims through epoch", "refund registration", "refunds paid from", "registered", "refunded"],
        closing.map((p) => {
          const c = p.closing as NonNullable<typeof p.closing>;
          return [
            p.planId.toString(),
            c.closingEpoch.toString(),
            c.lastClaimEpoch.toString(),
            `${isoTime(c.refundsFrom)} .. ${isoTime(c.refundsPayableFrom)}`,
            isoTime(c.refundsPayableFrom),
            `${c.registrations} members, ${c.registeredPeriods} periods`,
            `${p.refunded} (${p.refunds} wallets; ${c.unpaidPeriods} periods to pay)`,
          ];
        }),
        new Set([0, 1, 2]),
      ),
    );
  }
  if (report.tokens.length > 0) {
    out.push("");
    out.push(
      table(
        ["token", "plans", "owed to plans", "held by pool"],
        report.tokens.map((t) => [t.token, t.plans.join(","), t.owed.toString(), t.held?.toString() ?? "?"]),
        new Set([2, 3]),
      ),
    );
  }
  out.push("");
  out.push(
    `Claims: ${report.claims.total}, proofs verified ${report.claims.verified}, failed ${report.claims.failed}. ` +
      `This run: ${report.run.newEvents} new events from block ${report.run.readFrom}` +
      `${report.run.rewoundFrom === undefined ? "" : ` (rewound from block ${report.run.rewoundFrom} after a reorganisation)`}, ` +
      `${report.run.proofsVerified} proofs verified, ${(report.run.totalMs / 1000).toFixed(1)} s.`,
  );
  out.push("");
  if (report.findings.length === 0) {
    out.push("OK: every check passed.");
  } else {
    out.push(`FAILED: ${report.findings.length} finding(s)`);
    for (const f of report.findings) out.push(`  [${f.check}]${f.planId === undefined ? "" : ` plan ${f.planId}`} ${f.message}`);
  }
  return `${out.join("\n")}\n`;
}
