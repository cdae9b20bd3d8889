/**
 * Who approves a plan's claims, for members comparing plans: its assessor keys on chain, and which
 * of them are committees (k of n) by the desk's committee records, each record checked. A record
 * whose group key is not in the plan's assessor set is listed apart: not in force. A desk that
 * does not answer is noted in the result, not thrown: the chain's keys are still the plan's.
 */
import { activeAssessors, type PoolRef } from "../chain/pool.ts";
import type { PublicKey } from "../encoding.ts";
import type { DeskClient } from "./client.ts";
import { type CheckedCommittee, checkCommitteeRecords } from "./committee.ts";
import type { CommitteeRecord } from "./committee-schemas.ts";

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
  /**
   * Set when the desk was asked and did not answer (`reason` says why): which keys are committees
   * is then unknown, and every key is counted as signing alone.
   */
  deskSilent?: { reason: string };
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

/** The desk's committee records of `planId`, or why the desk did not answer. */
async function deskRecords(desk: DeskClient, planId: bigint): Promise<{ records: CommitteeRecord[] } | { silent: string }> {
  try {
    return { records: await desk.committees(planId) };
  } catch (error) {
    return { silent: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The plan's approvers, from the chain and (if `desk` is given) the desk's committee records. A
 * desk that does not answer gives the chain's keys with `deskSilent`; a chain read that fails throws.
 */
export async function planApprovers(ref: PoolRef, planId: bigint, desk?: DeskClient): Promise<PlanApprovers> {
  const [keys, desks] = await Promise.all([activeAssessors(ref, planId), desk ? deskRecords(desk, planId) : { records: [] }]);
  if ("silent" in desks) return { ...approversOf(keys, []), deskSilent: { reason: desks.silent } };
  return approversOf(keys, checkCommitteeRecords(desks.records, planId).accepted);
}
