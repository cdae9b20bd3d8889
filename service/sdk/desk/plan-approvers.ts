/**
 * Who approves a plan's claims, for members comparing plans: its assessor keys on chain, and which
 * of them are committees (k of n) by the desk's committee records, each record checked. A record
 * whose group key is not in the plan's assessor set is listed apart: not in force.
 */
import { activeAssessors, type PoolRef } from "../chain/pool.ts";
import type { PublicKey } from "../encoding.ts";
import type { DeskClient } from "./client.ts";
import { type CheckedCommittee, checkCommitteeRecords } from "./committee.ts";

export interface CommitteeSummary {
  keySetId: string;
  threshold: number;
  size: number;
}

export interface PlanApprovers {
  /** Assessor keys in the plan's set now. */
  keys: number;
  /** Those of them that are committees, by the desk's checked records. */
  committees: CommitteeSummary[];
  /** Keys that sign alone (as far as the desk's records tell): `keys` less the committees. */
  singles: number;
  /** Committees the desk lists whose group key the plan admin has not added (or has revoked). */
  notInForce: CommitteeSummary[];
}

const summary = (c: CheckedCommittee): CommitteeSummary => ({ keySetId: c.keySet.id, threshold: c.keySet.threshold, size: c.keySet.size });
const same = (a: PublicKey, b: PublicKey) => a[0] === b[0] && a[1] === b[1];

/** `keys` (the plan's assessor set) with `committees` (checked records) placed among them. */
export function approversOf(keys: readonly PublicKey[], committees: readonly CheckedCommittee[]): PlanApprovers {
  const inForce = committees.filter((c) => keys.some((k) => same(k, c.groupKey)));
  return {
    keys: keys.length,
    committees: inForce.map(summary),
    singles: keys.length - new Set(inForce.map((c) => c.groupKey.join(","))).size,
    notInForce: committees.filter((c) => !inForce.includes(c)).map(summary),
  };
}

/** The plan's approvers, from the chain and (if `desk` is given) the desk's committee records. */
export async function planApprovers(ref: PoolRef, planId: bigint, desk?: DeskClient): Promise<PlanApprovers> {
  const [keys, records] = await Promise.all([activeAssessors(ref, planId), desk ? desk.committees(planId) : Promise.resolve([])]);
  return approversOf(keys, checkCommitteeRecords(records, planId).accepted);
}
