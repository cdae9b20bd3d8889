import { verifySignature } from "@zk-kit/eddsa-poseidon";
import { describe, expect, it } from "vitest";
import {
  type CommitteeShare,
  committeePublicKey,
  DkgParticipant,
  type DkgRound1Package,
  type DkgRound2Package,
  dkgInOneProcess,
  randomSessionId,
  signInOneProcess,
} from "../../service/sdk/committee/index.ts";
import { type ApprovalTerms, approvalMessage, createIdentity, ErrorCode, randomFieldElement } from "../../service/sdk/index.ts";

function terms(): ApprovalTerms {
  return { commitment: createIdentity().commitment, planId: 1n, eventId: randomFieldElement(), amount: 1_000n, expiresAtEpoch: 9n };
}

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, i) => subsets(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]));
}

function participants(threshold: number, size: number, dkgId = randomSessionId()): DkgParticipant[] {
  return Array.from({ length: size }, (_, i) => new DkgParticipant({ dkgId, threshold, size }, i + 1));
}

/** Round two for everyone from the broadcast; returns each member's inbox of round-two packages. */
function exchange(members: DkgParticipant[], broadcast = members.map((m) => m.round1)): Map<number, DkgRound2Package[]> {
  const inbox = new Map<number, DkgRound2Package[]>(members.map((m) => [m.member, []]));
  for (const m of members) for (const p of m.round2(broadcast)) inbox.get(p.to)?.push(p);
  return inbox;
}

function failure(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return { code: (error as { code?: string }).code, participant: (error as { details?: { participant?: number } }).details?.participant };
  }
  return "no error";
}

describe("committee DKG", () => {
  it.each([
    [2, 3],
    [3, 5],
  ])("gives %i-of-%i members shares of one key set whose every k-subset signs", (k, n) => {
    const shares = dkgInOneProcess({ threshold: k, size: n });
    const keySet = (shares[0] as CommitteeShare).keySet;
    for (const s of shares) expect(s.keySet).toEqual(keySet);
    expect(keySet).toMatchObject({ threshold: k, size: n });
    const groupKey = committeePublicKey(keySet);
    for (const signers of subsets(shares, k)) {
      const t = terms();
      const { signature } = signInOneProcess(signers, t);
      expect(
        verifySignature(approvalMessage(t), { R8: [signature.R8[0], signature.R8[1]], S: signature.S }, [groupKey[0], groupKey[1]]),
      ).toBe(true);
    }
    for (const signers of subsets(shares, k - 1)) {
      expect(failure(() => signInOneProcess(signers, terms()))).toMatchObject({ code: ErrorCode.CommitteeNotEnoughSigners });
    }
  });

  it("names a member whose round-one proof of knowledge fails", () => {
    const members = participants(3, 5);
    // Member 4 broadcasts another polynomial's constant term under its own proof.
    const forged: DkgRound1Package = {
      ...(members[3] as DkgParticipant).round1,
      commitment: [...(members[3] as DkgParticipant).round1.commitment],
    };
    forged.commitment[0] = (members[1] as DkgParticipant).round1.commitment[0] as string;
    const broadcast = members.map((m) => (m.member === 4 ? forged : m.round1));
    for (const m of members.filter((m) => m.member !== 4)) {
      expect(failure(() => m.round2(broadcast))).toEqual({ code: ErrorCode.CommitteeDkgFailed, participant: 4 });
    }
  });

  it("names a member whose round-two evaluation does not match its commitment", () => {
    const members = participants(2, 3);
    const inbox = exchange(members);
    // Member 2 sends member 1 member 3's evaluation instead of its own.
    const toOne = inbox.get(1) ?? [];
    const fromThree = toOne.find((p) => p.from === 3) as DkgRound2Package;
    const cheated = toOne.map((p) => (p.from === 2 ? { ...p, share: fromThree.share } : p));
    expect(failure(() => (members[0] as DkgParticipant).finish(cheated))).toEqual({ code: ErrorCode.CommitteeDkgFailed, participant: 2 });
    // Member 3, who got honest packages, finishes.
    expect((members[2] as DkgParticipant).finish(inbox.get(3) ?? []).member).toBe(3);
  });

  it("names the sender of a package from another DKG run, of a missing package, and of a duplicate", () => {
    const members = participants(2, 3);
    const stranger = new DkgParticipant({ dkgId: randomSessionId(), threshold: 2, size: 3 }, 3);
    const broadcast = [members[0]?.round1, members[1]?.round1, stranger.round1];
    expect(failure(() => (members[0] as DkgParticipant).round2(broadcast))).toEqual({ code: ErrorCode.CommitteeDkgFailed, participant: 3 });
    expect(failure(() => (members[1] as DkgParticipant).round2([members[0]?.round1]))).toEqual({
      code: ErrorCode.CommitteeDkgFailed,
      participant: 3,
    });
    const differentThreshold = new DkgParticipant({ ...(members[2] as DkgParticipant).params, threshold: 3 }, 3);
    expect(failure(() => (members[1] as DkgParticipant).round2([members[0]?.round1, differentThreshold.round1]))).toEqual({
      code: ErrorCode.CommitteeDkgFailed,
      participant: 3,
    });
    const twice = members.map((m) => m.round1).concat([(members[1] as DkgParticipant).round1]);
    expect(failure(() => (members[2] as DkgParticipant).round2(twice))).toEqual({ code: ErrorCode.CommitteeDkgFailed, participant: 2 });
  });

  it("shows a member who broadcast two different round-one packages: the finished key sets differ", () => {
    const members = participants(2, 3);
    const [one, two, three] = members as [DkgParticipant, DkgParticipant, DkgParticipant];
    // Member 3 restarts and shows member 2 a second, equally valid, package.
    const threeAgain = new DkgParticipant(three.params, 3);
    const toOne = one.round2([two.round1, three.round1]);
    const toTwo = two.round2([one.round1, threeAgain.round1]);
    const fromThree = three.round2([one.round1, two.round1]);
    const fromThreeAgain = threeAgain.round2([one.round1, two.round1]);
    const shareOne = one.finish([...toTwo.filter((p) => p.to === 1), ...fromThree.filter((p) => p.to === 1)]);
    const shareTwo = two.finish([...toOne.filter((p) => p.to === 2), ...fromThreeAgain.filter((p) => p.to === 2)]);
    expect(shareOne.keySet.id).not.toBe(shareTwo.keySet.id);
  });
});
