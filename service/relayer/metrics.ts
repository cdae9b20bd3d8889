/** Prometheus metrics of one relayer (its own registry, so several apps can live in one process). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "huzhu_relayer_" });
  return {
    registry,
    claimsReceived: new Counter({
      name: "huzhu_relayer_claims_received_total",
      help: "Claim submissions by outcome (accepted, duplicate, or the refusal code)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    claimsFinished: new Counter({
      name: "huzhu_relayer_claims_finished_total",
      help: "Claims that reached a final status",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    transactionsSent: new Counter({
      name: "huzhu_relayer_transactions_sent_total",
      help: "Claim transactions signed and broadcast, by kind (first, reprice)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    acceptSeconds: new Histogram({
      name: "huzhu_relayer_accept_seconds",
      help: "Time from request to 202 (or refusal) for claim submissions",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    acceptStageSeconds: new Histogram({
      name: "huzhu_relayer_accept_stage_seconds",
      help: "Time spent in each stage of accepting a claim (chain_checks, quote, verify, simulate, store)",
      labelNames: ["stage"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
      registers: [registry],
    }),
    verifySeconds: new Histogram({
      name: "huzhu_relayer_verify_seconds",
      help: "Off-chain Groth16 verification time",
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "huzhu_relayer_claims_unfinished",
      help: "Claims queued or submitted but not yet final",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    writer: new Gauge({
      name: "huzhu_relayer_writer",
      help: "1 while this instance is the one sending claim transactions, 0 while another instance is",
      registers: [registry],
    }),
    verifiersAlive: new Gauge({
      name: "huzhu_relayer_verifiers_alive",
      help: "Verifier processes warm and answering (below huzhu_relayer_verifiers_configured while one is being replaced)",
      registers: [registry],
    }),
    verifiersConfigured: new Gauge({
      name: "huzhu_relayer_verifiers_configured",
      help: "Verifier processes the relayer is configured to run",
      registers: [registry],
    }),
    verifierRestarts: new Gauge({
      name: "huzhu_relayer_verifier_restarts",
      help: "Verifier processes replaced since start (after dying or hanging)",
      registers: [registry],
    }),
    balanceWei: new Gauge({
      name: "huzhu_relayer_balance_wei",
      help: "The relayer wallet's balance at the last readiness check",
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
