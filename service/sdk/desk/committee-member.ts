/**
 * A committee member's key file opened for one plan, as the CLI (`--committee <file>`) and the web
 * app's sign-in both open it before the member votes or signs: the share out of the file, the
 * desk's record of its committee found by key set id and checked, and the member's key in that
 * record matched to the member's own assessor key.
 *
 * The key set id is a hash of the whole key set, group key included, and both the file's key set
 * and the record's are checked against their id; so one id means one group key.
 */
import { openCommitteeKey } from "../committee/key-file.ts";
import type { CommitteeShare } from "../committee/share.ts";
import type { PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { type CheckedCommittee, checkCommitteeRecords } from "./committee.ts";
import type { CommitteeRecord } from "./committee-schemas.ts";
import { samePoint } from "./wire-values.ts";

/** A member's share and the checked record of its committee. */
export interface CommitteeMember {
  share: CommitteeShare;
  committee: CheckedCommittee;
}

/**
 * Opens committee key file `keyFile` with `password` and finds its committee among `records` (the
 * desk's committee records of plan `planId`). Refuses with:
 * - COMMITTEE_INVALID_KEY_FILE: not a committee key file, or its share is not its key set's;
 * - WRONG_PASSWORD: a wrong password, or a file relabelled as another member or key set;
 * - DESK_COMMITTEE_UNKNOWN: no record with the file's key set id (`details.keySetId`);
 * - DESK_COMMITTEE_RECORD_INVALID: records with that id, none of which checks (the first's error);
 * - COMMITTEE_MEMBER_KEY_MISMATCH: the record's key for the file's member is not `assessorKey`
 *   (`details.member`): another member's file, or a record that does not list this member.
 */
export async function openCommitteeMember(
  keyFile: unknown,
  password: string,
  records: readonly CommitteeRecord[],
  planId: bigint,
  assessorKey: PublicKey,
): Promise<CommitteeMember> {
  const share = await openCommitteeKey(keyFile, password);
  const keySetId = share.keySet.id;
  const listed = records.filter((r) => r.keySet.id === keySetId);
  const { accepted, refused } = checkCommitteeRecords(listed, planId);
  const committee = accepted[0];
  if (!committee) {
    if (refused[0]) throw refused[0].error;
    throw new HuzhuError(ErrorCode.DeskCommitteeUnknown, `the desk lists no committee with key set ${keySetId} for plan ${planId}`, {
      keySetId,
      planId: planId.toString(),
    });
  }
  const own = committee.members.get(share.member)?.publicKey;
  if (!own || !samePoint(own, assessorKey)) {
    throw new HuzhuError(
      ErrorCode.CommitteeMemberKeyMismatch,
      `member ${share.member}'s key in committee ${keySetId} is not this assessor key`,
      { keySetId, member: share.member },
    );
  }
  return { share, committee };
}
