import { Base8 } from "@zk-kit/baby-jubjub";
import { verifySignature } from "@zk-kit/eddsa-poseidon";
import { describe, expect, it } from "vitest";
import {
  aggregateSignature,
  BabyJubjubPoint,
  type CommitteeShare,
  committeeApproval,
  committeeFrost,
  committeePublicKey,
  createSigningPackage,
  insecureDealerCommittee,
  memberIdentifier,
  messageBytes,
  NonceStore,
  parseKeySet,
  randomSessionId,
  type SignatureShare,
  signInOneProcess,
  signShare,
  verifySignatureShare,
} from "../../service/sdk/committee/index.ts";
import {
  type ApprovalTerms,
  approvalMessage,
  BABYJUBJUB_SUBORDER,
  createIdentity,
  ErrorCode,
  randomFieldElement,
  SNARK_SCALAR_FIELD,
  verifyApproval,
} from "../../service/sdk/index.ts";

function terms(amount = 1_500_000_000n): ApprovalTerms {
  return { commitment: createIdentity().commitment, planId: 1n, eventId: randomFieldElement(), amount, expiresAtEpoch: 9n };
}

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, i) => subsets(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]));
}

/** Round one for `signers`, each with its own store, and the coordinator's package. */
function roundOne(signers: readonly CommitteeShare[], t: ApprovalTerms, sessionId = randomSessionId()) {
  const keySet = (signers[0] as CommitteeShare).keySet;
  const stores = signers.map(() => new NonceStore());
  const commitments = signers.map((s, i) => (stores[i] as NonceStore).commit(s, sessionId));
  return { stores, commitments, pkg: createSigningPackage(keySet, sessionId, approvalMessage(t), commitments) };
}

function codeOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return { code: (error as { code?: string }).code, details: (error as { details?: unknown }).details };
  }
  return "no error";
}

describe("committee ciphersuite", () => {
  it("uses Base8 as the generator and the subgroup order for scalars, as circomlib does", () => {
    const { x, y } = BabyJubjubPoint.BASE.toAffine();
    expect([x, y]).toEqual([BigInt(Base8[0]), BigInt(Base8[1])]);
    expect(committeeFrost.utils.Fn.ORDER).toBe(BABYJUBJUB_SUBORDER);
  });

  it("signs field elements only: a message at or above r is refused", () => {
    expect(() => messageBytes(21888242871839275222246405745257275088548364400416034343698204186575808495617n)).toThrow(RangeError);
  });
});

describe.each([
  [2, 3],
  [3, 5],
])("a %i-of-%i committee", (k, n) => {
  const shares = insecureDealerCommittee({ threshold: k, size: n });
  const keySet = (shares[0] as CommitteeShare).keySet;
  const groupKey = committeePublicKey(keySet);

  it("signs with every k-subset of its members a signature @zk-kit/eddsa-poseidon accepts", () => {
    for (const signers of subsets(shares, k)) {
      const t = terms();
      const signed = signInOneProcess(signers, t);
      const message = approvalMessage(t);
      expect(signed.message).toBe(message);
      expect(
        verifySignature(message, { R8: [signed.signature.R8[0], signed.signature.R8[1]], S: signed.signature.S }, [
          groupKey[0],
          groupKey[1],
        ]),
      ).toBe(true);
      expect(verifyApproval(committeeApproval(t, signed))).toBe(true);
      expect(signed.signature.S).toBeLessThan(BABYJUBJUB_SUBORDER);
    }
  });

  it("signs with all n members too", () => {
    const t = terms();
    expect(verifyApproval(committeeApproval(t, signInOneProcess(shares, t)))).toBe(true);
  });

  it("cannot sign with k - 1 members: the package is refused with COMMITTEE_NOT_ENOUGH_SIGNERS", () => {
    for (const signers of subsets(shares, k - 1)) {
      expect(codeOf(() => signInOneProcess(signers, terms()))).toMatchObject({ code: ErrorCode.CommitteeNotEnoughSigners });
    }
  });

  it("cannot sign with k - 1 members through noble either: FROST refuses fewer commitments than k", () => {
    const signers = shares.slice(0, k - 1);
    const secrets = signers.map((s) => ({ identifier: memberIdentifier(s.member), signingShare: Buffer.from(s.signingShare, "hex") }));
    const generated = secrets.map((s) => committeeFrost.commit(s));
    const list = generated.map((g) => g.commitments);
    const pub = {
      signers: { min: k, max: n },
      commitments: keySet.commitments.map((c) => Buffer.from(c, "hex")),
      verifyingShares: Object.fromEntries(keySet.verifyingShares.map((v, i) => [memberIdentifier(i + 1), Buffer.from(v, "hex")])),
    };
    const msg = messageBytes(approvalMessage(terms()));
    expect(() => committeeFrost.signShare(secrets[0] as never, pub as never, generated[0]?.nonces as never, list, msg)).toThrow(
      /Wrong number of commitments/,
    );
    // Nor do k - 1 shares interpolate to the group secret.
    expect(() => committeeFrost.combineSecret(secrets as never, { min: k, max: n })).toThrow(/wrong secret shares/);
  });

  it("names the signer of a corrupted share (COMMITTEE_SHARE_INVALID) and verifies the others", () => {
    const signers = shares.slice(0, k);
    const t = terms();
    const { stores, pkg } = roundOne(signers, t);
    const sigShares = signers.map((s, i) => signShare(s, pkg, t, stores[i] as NonceStore));
    const victim = sigShares[k - 1] as SignatureShare;
    const bumped = (BigInt(`0x${Buffer.from(victim.share, "hex").reverse().toString("hex")}`) + 1n) % BABYJUBJUB_SUBORDER;
    const corrupted = { ...victim, share: Buffer.from(bumped.toString(16).padStart(64, "0"), "hex").reverse().toString("hex") };
    expect(verifySignatureShare(keySet, pkg, corrupted)).toBe(false);
    for (const good of sigShares.slice(0, k - 1)) expect(verifySignatureShare(keySet, pkg, good)).toBe(true);
    expect(codeOf(() => aggregateSignature(keySet, pkg, [...sigShares.slice(0, k - 1), corrupted]))).toEqual({
      code: ErrorCode.CommitteeShareInvalid,
      details: { members: [victim.member] },
    });
  });

  it("refuses a second use of a nonce (COMMITTEE_NONCE_USED), in the same session or another", () => {
    const signers = shares.slice(0, k);
    const t = terms();
    const { stores, pkg } = roundOne(signers, t);
    const first = signers[0] as CommitteeShare;
    signShare(first, pkg, t, stores[0] as NonceStore);
    expect(codeOf(() => signShare(first, pkg, t, stores[0] as NonceStore))).toMatchObject({ code: ErrorCode.CommitteeNonceUsed });
    // The same commitment replayed into a new session's package, over other terms.
    const other = terms();
    const sessionId = randomSessionId();
    const replay = createSigningPackage(keySet, sessionId, approvalMessage(other), [
      { ...(pkg.commitments[0] as (typeof pkg.commitments)[0]), sessionId },
      ...signers.slice(1).map((s) => new NonceStore().commit(s, sessionId)),
    ]);
    expect(codeOf(() => signShare(first, replay, other, stores[0] as NonceStore))).toMatchObject({ code: ErrorCode.CommitteeNonceUsed });
  });

  it("shows the coordinator the approval message only, never the terms", () => {
    const t = terms();
    const { stores, pkg } = roundOne(shares.slice(0, k), t);
    const sigShares = shares.slice(0, k).map((s, i) => signShare(s, pkg, t, stores[i] as NonceStore));
    const seen = JSON.stringify({ pkg, sigShares });
    for (const secret of [t.eventId, t.commitment]) expect(seen).not.toContain(secret.toString());
    expect(pkg.message).toBe(approvalMessage(t).toString());
  });

  it("signs only the terms the signer reviewed (COMMITTEE_WRONG_MESSAGE) and keeps the nonce for the right package", () => {
    const signers = shares.slice(0, k);
    const t = terms();
    const { stores, pkg } = roundOne(signers, t);
    const first = signers[0] as CommitteeShare;
    expect(codeOf(() => signShare(first, pkg, { ...t, amount: t.amount + 1n }, stores[0] as NonceStore))).toMatchObject({
      code: ErrorCode.CommitteeWrongMessage,
    });
    const sigShares = signers.map((s, i) => signShare(s, pkg, t, stores[i] as NonceStore));
    expect(verifyApproval(committeeApproval(t, aggregateSignature(keySet, pkg, sigShares)))).toBe(true);
  });

  it("refuses shares from another key set, message or session with their codes", () => {
    const signers = shares.slice(0, k);
    const t = terms();
    const { stores, pkg } = roundOne(signers, t);
    const sigShares = signers.map((s, i) => signShare(s, pkg, t, stores[i] as NonceStore));
    const rest = sigShares.slice(1);
    const one = sigShares[0] as SignatureShare;

    // The same members' shares in another committee, another session, over other terms.
    const otherSet = insecureDealerCommittee({ threshold: k, size: n });
    const t2 = terms();
    const fromOtherSet = roundOne(otherSet.slice(0, k), t);
    const otherSetShare = signShare(otherSet[0] as CommitteeShare, fromOtherSet.pkg, t, fromOtherSet.stores[0] as NonceStore);
    const otherMessage = roundOne(signers, t2);
    const otherMessageShare = signShare(signers[0] as CommitteeShare, otherMessage.pkg, t2, otherMessage.stores[0] as NonceStore);
    const otherSession = roundOne(signers, t);
    const otherSessionShare = signShare(signers[0] as CommitteeShare, otherSession.pkg, t, otherSession.stores[0] as NonceStore);

    expect(codeOf(() => aggregateSignature(keySet, pkg, [otherSetShare, ...rest]))).toMatchObject({ code: ErrorCode.CommitteeWrongKeySet });
    expect(codeOf(() => aggregateSignature(keySet, pkg, [otherMessageShare, ...rest]))).toMatchObject({
      code: ErrorCode.CommitteeWrongSession,
    });
    expect(codeOf(() => aggregateSignature(keySet, pkg, [{ ...otherMessageShare, sessionId: pkg.sessionId }, ...rest]))).toMatchObject({
      code: ErrorCode.CommitteeWrongMessage,
    });
    expect(codeOf(() => aggregateSignature(keySet, pkg, [otherSessionShare, ...rest]))).toMatchObject({
      code: ErrorCode.CommitteeWrongSession,
    });
    // A share relabelled into this signing round is just a bad share, and its signer is named.
    expect(codeOf(() => aggregateSignature(keySet, pkg, [{ ...otherSessionShare, sessionId: pkg.sessionId }, ...rest]))).toEqual({
      code: ErrorCode.CommitteeShareInvalid,
      details: { members: [one.member] },
    });
    expect(codeOf(() => aggregateSignature(keySet, pkg, [one, one, ...rest.slice(1)]))).toMatchObject({
      code: ErrorCode.CommitteeUnknownSigner,
    });
    expect(codeOf(() => aggregateSignature(keySet, pkg, rest))).toMatchObject({ code: ErrorCode.CommitteeNotEnoughSigners });
    // A signer refuses a package for another key set, and a nonce committed for another session.
    expect(codeOf(() => signShare(otherSet[0] as CommitteeShare, pkg, t, fromOtherSet.stores[0] as NonceStore))).toMatchObject({
      code: ErrorCode.CommitteeWrongKeySet,
    });
    const moved = createSigningPackage(keySet, otherSession.pkg.sessionId, approvalMessage(t), [
      { ...(pkg.commitments[1] as (typeof pkg.commitments)[0]), sessionId: otherSession.pkg.sessionId },
      ...otherSession.pkg.commitments.filter((c) => c.member !== pkg.commitments[1]?.member),
    ]);
    expect(codeOf(() => signShare(signers[1] as CommitteeShare, moved, t, new NonceStore()))).toMatchObject({
      code: ErrorCode.CommitteeNonceUnknown,
    });
    // The whole aggregate still works with the right shares, in any order.
    expect(verifyApproval(committeeApproval(t, aggregateSignature(keySet, pkg, [...sigShares].reverse())))).toBe(true);
  });

  it("refuses a package whose commitments come from two sessions (COMMITTEE_WRONG_SESSION)", () => {
    const t = terms();
    const a = roundOne(shares.slice(0, k), t);
    const b = roundOne(shares.slice(0, k), t);
    const mixed = { ...a.pkg, commitments: [b.commitments[0], ...a.commitments.slice(1)] };
    expect(codeOf(() => signShare(shares[1] as CommitteeShare, mixed, t, a.stores[1] as NonceStore))).toMatchObject({
      code: ErrorCode.CommitteeWrongSession,
    });
  });

  it("keeps its key set checkable: an altered key set is refused", () => {
    expect(parseKeySet(JSON.parse(JSON.stringify(keySet)))).toEqual(keySet);
    const swapped = { ...keySet, verifyingShares: [...keySet.verifyingShares].reverse() };
    expect(codeOf(() => parseKeySet(swapped))).toMatchObject({ code: ErrorCode.CommitteeMalformed });
  });

  it("refuses a key set with a point off the curve or a key above the field, keeping the decoder's error as the cause", () => {
    const thrown = (run: () => unknown): Error & { code?: string } => {
      try {
        run();
      } catch (error) {
        return error as Error & { code?: string };
      }
      throw new Error("no error");
    };
    const offCurve = thrown(() => parseKeySet({ ...keySet, commitments: ["ff".repeat(32), ...keySet.commitments.slice(1)] }));
    expect(offCurve.code).toBe(ErrorCode.CommitteeMalformed);
    expect(offCurve.cause).toBeInstanceOf(Error);
    expect(offCurve.message).toBe(
      `not valid committee data: commitments[0] is not a BabyJubjub subgroup point (${(offCurve.cause as Error).message})`,
    );
    const aboveField = thrown(() => parseKeySet({ ...keySet, publicKey: [SNARK_SCALAR_FIELD.toString(), keySet.publicKey[1]] }));
    expect(aboveField.code).toBe(ErrorCode.CommitteeMalformed);
    expect(aboveField.cause).toMatchObject({ code: ErrorCode.FieldOutOfRange });
    expect(aboveField.message).toBe(`not valid committee data: ${(aboveField.cause as Error).message}`);
  });
});

describe("nonce store", () => {
  const shares = insecureDealerCommittee({ threshold: 2, size: 3 });

  it("seals its nonces under a password, never in clear, and keeps used nonces refused after reopening", async () => {
    const t = terms();
    const { stores, pkg } = roundOne(shares.slice(0, 2), t);
    const store = stores[0] as NonceStore;
    const sealed = await store.seal("pw", { N: 2 ** 10 });
    const text = JSON.stringify(sealed);
    // Not even the (public) commitments show: every pending record is inside the ciphertext.
    expect(text).not.toContain(pkg.commitments[0]?.hiding);
    const reopened = await NonceStore.open(JSON.parse(text), "pw");
    expect(reopened.pending).toEqual(store.pending);
    const first = signShare(shares[0] as CommitteeShare, pkg, t, reopened);
    const second = signShare(shares[1] as CommitteeShare, pkg, t, stores[1] as NonceStore);
    expect(verifyApproval(committeeApproval(t, aggregateSignature(shares[0]?.keySet as never, pkg, [first, second])))).toBe(true);
    const after = await NonceStore.open(await reopened.seal("pw", { N: 2 ** 10 }), "pw");
    expect(codeOf(() => signShare(shares[0] as CommitteeShare, pkg, t, after))).toMatchObject({ code: ErrorCode.CommitteeNonceUsed });
    await expect(NonceStore.open(sealed, "wrong")).rejects.toMatchObject({ code: ErrorCode.WrongPassword });
  });

  it("discards an abandoned session's nonces: they can never sign", () => {
    const t = terms();
    const { stores, pkg } = roundOne(shares.slice(0, 2), t);
    (stores[0] as NonceStore).discard(pkg.sessionId);
    expect((stores[0] as NonceStore).pending).toEqual([]);
    expect(codeOf(() => signShare(shares[0] as CommitteeShare, pkg, t, stores[0] as NonceStore))).toMatchObject({
      code: ErrorCode.CommitteeNonceUsed,
    });
  });
});
