/**
 * Prometheus gauges of a tree index, read from the index at each scrape: the block it has read to,
 * the members it holds per plan, and whether its last poll failed. The standalone tree service and
 * the relayer (which hosts an index) register them in their own registries.
 */
import { Gauge, type Registry } from "prom-client";
import type { TreeIndex } from "./indexer.ts";

export function registerTreeMetrics(index: TreeIndex, registry: Registry): void {
  new Gauge({
    name: "huzhu_trees_block",
    help: "The last block the member tree index has read",
    registers: [registry],
    collect() {
      this.set(Number(index.cursor?.block ?? 0n));
    },
  });
  new Gauge({
    name: "huzhu_trees_members",
    help: "Members in each plan's indexed member tree",
    labelNames: ["plan"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const planId of index.plans()) this.set({ plan: planId.toString() }, index.tree(planId)?.size ?? 0);
    },
  });
  new Gauge({
    name: "huzhu_trees_poll_failing",
    help: "1 while the index's last poll of the chain failed (it tries again at the next interval), else 0",
    registers: [registry],
    collect() {
      this.set(index.lastError === undefined ? 0 : 1);
    },
  });
}
