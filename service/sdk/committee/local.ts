/**
 * The DKG and both signing rounds with every member in one process: what the members' devices and
 * the desk do between them, without the network or the waiting. For tests, benchmarks and
 * development committees; a real committee runs each member on its own device.
 */
import { type ApprovalTerms, approvalMessage } from "../encoding.ts";
import { aggregateSignature, type CommitteeSignature } from "./aggregate.ts";
import type { CommitteeParams } from "./dealer.ts";
import { DkgParticipant, type DkgRound2Package } from "./dkg.ts";
import { NonceStore } from "./nonces.ts";
import type { CommitteeShare } from "./share.ts";
import { createSigningPackage, signShare } from "./signing.ts";
import { malformed, randomSessionId } from "./wire.ts";

/** Every member's share from one DKG run, round one broadcast to all and round two to each. */
export function dkgInOneProcess(params: CommitteeParams, dkgId = randomSessionId()): CommitteeShare[] {
  const members = Array.from({ length: params.size }, (_, i) => new DkgParticipant({ ...params, dkgId }, i + 1));
  const broadcast = members.map((m) => m.round1);
  const inbox = new Map<number, DkgRound2Package[]>(members.map((m) => [m.member, []]));
  for (const m of members) for (const p of m.round2(broadcast)) inbox.get(p.to)?.push(p);
  return members.map((m) => m.finish(inbox.get(m.member) ?? []));
}

/** The committee signature of `signers` (each with its own nonce store) on the approval of `terms`. */
export function signInOneProcess(
  signers: readonly CommitteeShare[],
  terms: ApprovalTerms,
  sessionId = randomSessionId(),
): CommitteeSignature {
  const keySet = signers[0]?.keySet ?? malformed("no signers");
  const stores = signers.map(() => new NonceStore());
  const commitments = signers.map((share, i) => (stores[i] as NonceStore).commit(share, sessionId));
  const pkg = createSigningPackage(keySet, sessionId, approvalMessage(terms), commitments);
  const shares = signers.map((share, i) => signShare(share, pkg, terms, stores[i] as NonceStore));
  return aggregateSignature(keySet, pkg, shares);
}
