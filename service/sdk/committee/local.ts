/**
 * Both signing rounds with every chosen share in one process, each signer with its own nonce store:
 * what the desk and the signers' devices do between them, without the network. For tests,
 * benchmarks and development committees; a real committee signs on k devices (one share each).
 */
import type { ApprovalTerms } from "../encoding.ts";
import { approvalMessage } from "../encoding.ts";
import { aggregateSignature, type CommitteeSignature } from "./aggregate.ts";
import { NonceStore } from "./nonces.ts";
import type { CommitteeShare } from "./share.ts";
import { createSigningPackage, signShare } from "./signing.ts";
import { malformed, randomSessionId } from "./wire.ts";

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
