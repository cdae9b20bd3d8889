/**
 * Distributed key generation (noble's DKG rounds, the split-round API of frost-rs): n members each
 * deal a random polynomial, prove knowledge of its constant term, and send every other member its
 * evaluation; each sums what it received into its share. No party, coordinator included, ever holds
 * the group secret. A package that fails names its sender (COMMITTEE_DKG_FAILED,
 * `details.participant`).
 *
 * Transport is the caller's: round-one packages are broadcast (every member must receive the same
 * ones: members compare the finished key set's id before the plan admin adds the key), round-two
 * packages are secret and go only to their recipient, sealed to it.
 */
import type { DKG_Round1, DKG_Round2, DKG_Secret } from "@noble/curves/abstract/frost.js";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { type CommitteeParams, checkParams } from "./dealer.ts";
import { keySetFromFrost, memberIdentifier } from "./key-set.ts";
import { type CommitteeShare, checkShare } from "./share.ts";
import { committeeFrost, POINT_BYTES, SCALAR_BYTES } from "./suite.ts";
import { decodeHex, decodeMember, decodePoint, decodeScalar, decodeSessionId, isObject, toHex } from "./wire.ts";

export interface DkgParams extends CommitteeParams {
  /** 16 random bytes, hex, naming this DKG run: packages of another run are refused. */
  dkgId: string;
}

/** A member's round-one broadcast: its polynomial's commitments and a proof of knowledge. */
export interface DkgRound1Package {
  dkgId: string;
  threshold: number;
  size: number;
  member: number;
  /** noble's VSS commitment (k points, hex). */
  commitment: string[];
  /** noble's proof of knowledge of the constant term (R || z, hex). */
  proof: string;
}

/** A member's round-two message to one other member: that member's evaluation. Secret: send it sealed. */
export interface DkgRound2Package {
  dkgId: string;
  from: number;
  to: number;
  /** The evaluation, a scalar (hex). */
  share: string;
}

/** COMMITTEE_DKG_FAILED naming the member whose package fails, and why. */
export function dkgError(participant: number, reason: string, cause?: unknown): HuzhuError {
  return new HuzhuError(
    ErrorCode.CommitteeDkgFailed,
    `the DKG cannot finish: member ${participant}'s package fails (${reason})`,
    { participant, reason },
    { cause },
  );
}

function dkgFailed(participant: number, reason: string, cause?: unknown): never {
  throw dkgError(participant, reason, cause);
}

/** Runs `decode`, turning a malformed field into a DKG failure that names `participant`. */
function fromParticipant<T>(participant: number, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    return dkgFailed(participant, (error as Error).message, error);
  }
}

function frostRound1(p: DkgRound1Package): DKG_Round1 {
  return {
    identifier: memberIdentifier(p.member),
    commitment: p.commitment.map((c) => decodeHex(c, "commitment", POINT_BYTES)),
    proofOfKnowledge: decodeHex(p.proof, "proof", POINT_BYTES + SCALAR_BYTES),
  } as DKG_Round1;
}

/**
 * Which package noble refuses, tried one at a time: a scratch member (identifiers above the
 * committee's) runs noble's round two on that package beside honest scratch packages, so noble's
 * own checks (proof of knowledge, points) decide, and the one that fails is named.
 */
function refusedRound1(params: CommitteeParams, packages: readonly DkgRound1Package[]): DkgRound1Package | undefined {
  const signers = { min: params.threshold, max: params.size };
  const fillers = Array.from(
    { length: params.size - 2 },
    (_, i) => committeeFrost.DKG.round1(memberIdentifier(params.size + 1 + i), signers).public,
  );
  return packages.find((p) => {
    const scratch = committeeFrost.DKG.round1(memberIdentifier(2 * params.size), signers);
    try {
      committeeFrost.DKG.round2(scratch.secret, [frostRound1(p), ...fillers]);
      return false;
    } catch {
      return true;
    } finally {
      committeeFrost.DKG.clean(scratch.secret);
    }
  });
}

/** One member's side of a DKG. Its state (the polynomial) is secret and lives in memory only. */
export class DkgParticipant {
  readonly params: DkgParams;
  readonly member: number;
  /** This member's round-one broadcast. */
  readonly round1: DkgRound1Package;
  readonly #secret: DKG_Secret;
  #others: DkgRound1Package[] | undefined;

  constructor(params: DkgParams, member: number) {
    checkParams(params);
    decodeSessionId(params.dkgId, "dkgId");
    this.params = { dkgId: params.dkgId, threshold: params.threshold, size: params.size };
    this.member = decodeMember(member, "member", params.size);
    const { public: pub, secret } = committeeFrost.DKG.round1(memberIdentifier(member), { min: params.threshold, max: params.size });
    this.#secret = secret;
    this.round1 = {
      ...this.params,
      member,
      commitment: pub.commitment.map(toHex),
      proof: toHex(pub.proofOfKnowledge),
    };
  }

  /** Checks one received round-one package's shape and run, naming its sender when it is wrong. */
  #checkRound1(value: unknown): DkgRound1Package {
    const member = isObject(value) && typeof value.member === "number" ? value.member : 0;
    return fromParticipant(member, () => {
      if (!isObject(value)) throw new Error("not an object");
      decodeMember(value.member, "member", this.params.size);
      if (value.dkgId !== this.params.dkgId) throw new Error("a package of another DKG run");
      if (value.threshold !== this.params.threshold || value.size !== this.params.size) throw new Error("another threshold or size");
      if (!Array.isArray(value.commitment) || value.commitment.length !== this.params.threshold)
        throw new Error("commitment must hold k points");
      for (const [i, c] of value.commitment.entries()) decodePoint(c, `commitment[${i}]`);
      decodeHex(value.proof, "proof", POINT_BYTES + SCALAR_BYTES);
      return { ...this.params, member: value.member as number, commitment: value.commitment as string[], proof: value.proof as string };
    });
  }

  /**
   * Round two: checks every other member's round-one package (one each) and returns this member's
   * secret package for each of them.
   */
  round2(received: readonly unknown[]): DkgRound2Package[] {
    if (this.#others !== undefined) throw new HuzhuError(ErrorCode.CommitteeMalformed, "round two of this DKG has already run");
    const others = new Map<number, DkgRound1Package>();
    for (const value of received) {
      const p = this.#checkRound1(value);
      if (p.member === this.member) continue;
      if (others.has(p.member)) dkgFailed(p.member, "two round-one packages");
      others.set(p.member, p);
    }
    for (let m = 1; m <= this.params.size; m++) {
      if (m !== this.member && !others.has(m)) dkgFailed(m, "no round-one package");
    }
    const packages = [...others.values()];
    let out: Record<string, DKG_Round2>;
    try {
      out = committeeFrost.DKG.round2(this.#secret, packages.map(frostRound1));
    } catch (error) {
      const bad = refusedRound1(this.params, packages);
      throw new HuzhuError(
        ErrorCode.CommitteeDkgFailed,
        `the DKG cannot finish: member ${bad?.member ?? "?"}'s round-one package fails (${(error as Error).message})`,
        { participant: bad?.member, reason: (error as Error).message },
        { cause: error },
      );
    }
    this.#others = packages;
    return packages.map((p) => {
      const share = out[memberIdentifier(p.member)];
      if (share === undefined) throw new HuzhuError(ErrorCode.CommitteeDkgFailed, `no round-two package for member ${p.member}`);
      return { dkgId: this.params.dkgId, from: this.member, to: p.member, share: toHex(share.signingShare) };
    });
  }

  /**
   * Round three: checks each received evaluation against its sender's round-one commitment (noble's
   * VSS check; a bad one names its sender) and finishes with this member's share of the key set.
   */
  finish(received: readonly unknown[]): CommitteeShare {
    const others = this.#others;
    if (others === undefined) throw new HuzhuError(ErrorCode.CommitteeMalformed, "run round two of this DKG first");
    const signers = { min: this.params.threshold, max: this.params.size };
    const shares = new Map<number, DkgRound2Package>();
    for (const value of received) {
      const from = isObject(value) && typeof value.from === "number" ? value.from : 0;
      const p = fromParticipant(from, (): DkgRound2Package => {
        if (!isObject(value)) throw new Error("not an object");
        decodeMember(value.from, "from", this.params.size);
        if (value.dkgId !== this.params.dkgId) throw new Error("a package of another DKG run");
        if (value.to !== this.member) throw new Error(`a package for member ${String(value.to)}, not ${this.member}`);
        return { dkgId: this.params.dkgId, from: value.from as number, to: this.member, share: toHex(decodeScalar(value.share, "share")) };
      });
      const sender = others.find((o) => o.member === p.from);
      if (sender === undefined) dkgFailed(p.from, "not a member of this DKG");
      if (shares.has(p.from)) dkgFailed(p.from, "two round-two packages");
      try {
        committeeFrost.validateSecret(
          { identifier: memberIdentifier(this.member), signingShare: decodeScalar(p.share, "share") },
          { signers, commitments: frostRound1(sender).commitment, verifyingShares: {} },
        );
      } catch (error) {
        dkgFailed(p.from, "its evaluation does not match its round-one commitment", error);
      }
      shares.set(p.from, p);
    }
    for (const o of others) if (!shares.has(o.member)) dkgFailed(o.member, "no round-two package");
    const key = committeeFrost.DKG.round3(
      this.#secret,
      others.map(frostRound1),
      others.map(
        (o) => ({ identifier: memberIdentifier(o.member), signingShare: decodeScalar(shares.get(o.member)?.share, "share") }) as DKG_Round2,
      ),
    );
    return checkShare({ keySet: keySetFromFrost(key.public), member: this.member, signingShare: toHex(key.secret.signingShare) });
  }
}
