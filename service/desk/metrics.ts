/** Prometheus metrics of one desk (its own registry). Counts and sizes only: nothing about who. */
import { Counter, collectDefaultMetrics, Registry } from "prom-client";

export function createDeskMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "huzhu_desk_" });
  return {
    registry,
    casesFiled: new Counter({ name: "huzhu_desk_cases_filed_total", help: "Cases filed", registers: [registry] }),
    fileBytes: new Counter({ name: "huzhu_desk_file_bytes_total", help: "Sealed evidence bytes received", registers: [registry] }),
    messages: new Counter({
      name: "huzhu_desk_messages_total",
      help: "Messages on cases, by sender",
      labelNames: ["sender"] as const,
      registers: [registry],
    }),
    decisions: new Counter({
      name: "huzhu_desk_decisions_total",
      help: "Decisions, by kind",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    committees: new Counter({ name: "huzhu_desk_committees_total", help: "Committee key sets made by DKG", registers: [registry] }),
    votes: new Counter({
      name: "huzhu_desk_committee_votes_total",
      help: "Committee votes on cases, by vote",
      labelNames: ["vote"] as const,
      registers: [registry],
    }),
    signIns: new Counter({
      name: "huzhu_desk_sign_ins_total",
      help: "Assessor sign-ins, by outcome (ok or the refusal code)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
  };
}

export type DeskMetrics = ReturnType<typeof createDeskMetrics>;
