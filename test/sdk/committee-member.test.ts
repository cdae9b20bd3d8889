/**
 * A committee member's key file opened for a plan (openCommitteeMember): real key files sealed
 * under a password, and real committee records as the desk lists them (the key set of a DKG and
 * every member's statement signed by its own assessor key). The member's share and checked record
 * come back; each refusal is asserted with its code and message.
 */
import { describe, expect, it } from "vitest";
import { type AssessorKey, generateAssessorKey } from "../../service/sdk/assessor.ts";
import { type CommitteeShare, dkgInOneProcess, randomSessionId, sealCommitteeKey } from "../../service/sdk/committee/index.ts";
import { finishBody } from "../../service/sdk/desk/committee.ts";
import { openCommitteeMember } from "../../service/sdk/desk/committee-member.ts";
import type { CommitteeRecord } from "../../service/sdk/desk/committee-schemas.ts";
import { deriveDeskKey } from "../../service/sdk/desk/desk-key.ts";
import { pointJson } from "../../service/sdk/desk/wire-values.ts";
import { ErrorCode } from "../../service/sdk/errors.ts";

// A low scrypt cost keeps these tests fast; sealSecret's default (2^17) is tested with keystores.
const FAST = { N: 2 ** 10 };
const PLAN = 1n;

/** A 2-of-3 committee of `keys` for plan `planId`: every member's share and the desk's record of it. */
async function committeeOf(keys: readonly AssessorKey[], planId: bigint): Promise<{ shares: CommitteeShare[]; record: CommitteeRecord }> {
  const dkgId = randomSessionId();
  const shares = dkgInOneProcess({ threshold: 2, size: keys.length }, dkgId);
  const keySet = (shares[0] as CommitteeShare).keySet;
  const members = await Promise.all(
    keys.map(async (key, i) => {
      const { publicKey: hpkePublicKey } = await deriveDeskKey(key);
      const done = finishBody(planId.toString(), dkgId, keySet, i + 1, key, hpkePublicKey);
      return { member: i + 1, publicKey: pointJson(key.publicKey), hpkePublicKey, signature: done.signature };
    }),
  );
  return { shares, record: { planId: planId.toString(), dkgId, keySet, members } };
}

/** A key file as `huzhu committee join` writes it and a reader parses it back. */
async function keyFile(share: CommitteeShare, password: string): Promise<unknown> {
  return JSON.parse(JSON.stringify(await sealCommitteeKey(share, password, FAST)));
}

/** The rejection of `promise`, which must reject. */
async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a refusal"),
    (error: unknown) => error,
  );
}

describe("openCommitteeMember", async () => {
  const keys = [generateAssessorKey(), generateAssessorKey(), generateAssessorKey()];
  const { shares, record } = await committeeOf(keys, PLAN);
  const share = shares[1] as CommitteeShare;
  const keySetId = share.keySet.id;
  const file = await keyFile(share, "pw");
  const other = await committeeOf([generateAssessorKey(), generateAssessorKey(), generateAssessorKey()], PLAN);

  it("opens member 2's file with its password: its share, and the desk's checked record of its committee", async () => {
    const opened = await openCommitteeMember(file, "pw", [other.record, record], PLAN, (keys[1] as AssessorKey).publicKey);
    expect(opened.share).toEqual(share);
    expect(opened.committee.record).toBe(record);
    expect(opened.committee.keySet.id).toBe(keySetId);
    expect(opened.committee.groupKey).toEqual([BigInt(share.keySet.publicKey[0]), BigInt(share.keySet.publicKey[1])]);
    expect(opened.committee.members.get(2)?.publicKey).toEqual((keys[1] as AssessorKey).publicKey);
  });

  it("takes the record that checks when the desk also lists one with the same key set that does not", async () => {
    const forged = { ...record, members: record.members.map((m) => (m.member === 3 ? { ...m, member: 1 } : m)) };
    const opened = await openCommitteeMember(file, "pw", [forged, record], PLAN, (keys[1] as AssessorKey).publicKey);
    expect(opened.committee.record).toBe(record);
  });

  it("refuses a file that is not a committee key file (COMMITTEE_INVALID_KEY_FILE)", async () => {
    expect(
      await refusal(openCommitteeMember({ kind: "huzhu-assessor-key" }, "pw", [record], PLAN, (keys[1] as AssessorKey).publicKey)),
    ).toMatchObject({
      code: ErrorCode.CommitteeInvalidKeyFile,
      message: 'not a valid committee key file: kind must be "huzhu-committee-key", version 1',
    });
  });

  it("refuses a wrong password (WRONG_PASSWORD)", async () => {
    expect(await refusal(openCommitteeMember(file, "not it", [record], PLAN, (keys[1] as AssessorKey).publicKey))).toMatchObject({
      code: ErrorCode.WrongPassword,
      message: "wrong password for this committee key (or the file was altered)",
    });
  });

  it("refuses a key set the desk lists no committee of (DESK_COMMITTEE_UNKNOWN), naming the key set", async () => {
    const error = await refusal(openCommitteeMember(file, "pw", [other.record], PLAN, (keys[1] as AssessorKey).publicKey));
    expect(error).toMatchObject({
      code: ErrorCode.DeskCommitteeUnknown,
      message: `the desk lists no committee with key set ${keySetId} for plan 1`,
      details: { keySetId, planId: "1" },
    });
  });

  it("refuses when the only record of the key set does not check (DESK_COMMITTEE_RECORD_INVALID)", async () => {
    const error = await refusal(openCommitteeMember(file, "pw", [record], 2n, (keys[1] as AssessorKey).publicKey));
    expect(error).toMatchObject({
      code: ErrorCode.DeskCommitteeRecordInvalid,
      message: `the desk's record of committee ${record.dkgId} does not check: it is for plan 1, not plan 2`,
      details: { dkgId: record.dkgId },
    });
  });

  it("refuses another member's file for this assessor key (COMMITTEE_MEMBER_KEY_MISMATCH), naming the file's member", async () => {
    const error = await refusal(openCommitteeMember(file, "pw", [record], PLAN, (keys[0] as AssessorKey).publicKey));
    expect(error).toMatchObject({
      code: ErrorCode.CommitteeMemberKeyMismatch,
      message: `member 2's key in committee ${keySetId} is not this assessor key`,
      details: { keySetId, member: 2 },
    });
  });
});
