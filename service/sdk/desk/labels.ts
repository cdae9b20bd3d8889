/**
 * Every label the desk's protocol binds (HPKE `info`, AADs, signed hashes, key derivations), in
 * one place. Each carries a version: a change of format is a new label, so old and new never mix.
 */
export const LABEL = {
  /** HKDF info: an assessor's HPKE key from its EdDSA key-file secret. */
  deskKey: "huzhu-desk/assessor-hpke-key/v1",
  /** HKDF info: the key sealing a member's case records at rest, from the identity's secret. */
  memberRecordKey: "huzhu-desk/member-record-key/v1",
  /** AAD of a sealed member case record. */
  memberRecord: "huzhu-desk/member-record/v1",
  /** HPKE info: a case's content key wrapped to an assessor (planId, envelopeId). */
  caseKey: "huzhu-desk/case-key/v1",
  /** AAD of a part sealed under a case's content key (envelopeId, kind, index). */
  casePart: "huzhu-desk/case-part/v1",
  /** Signed: a roster entry. */
  rosterEntry: "huzhu-desk/roster-entry/v1",
  /** Signed: a case document. */
  caseDocument: "huzhu-desk/case-document/v1",
  /** HPKE info: a member message's key wrapped to an assessor (planId, caseId). */
  memberMessageKey: "huzhu-desk/member-message-key/v1",
  /** AAD of a member message's body. */
  memberMessage: "huzhu-desk/member-message/v1",
  /** HPKE info: anything an assessor seals to a member's reply key (planId, caseId, kind). */
  toMember: "huzhu-desk/to-member/v1",
  /** Signed: an assessor's message to a member. */
  assessorMessage: "huzhu-desk/assessor-message/v1",
  /** Signed: a decline. */
  decline: "huzhu-desk/decline/v1",
  /** Signed: an assessor sign-in challenge. */
  signIn: "huzhu-desk/sign-in/v1",
  /** Signed: the start of a committee's DKG run (plan, run, k, members). */
  committeeRun: "huzhu-desk/committee-run/v1",
  /** Signed: a member's DKG round-one package and desk key. */
  committeeRound1: "huzhu-desk/committee-round1/v1",
  /** Signed: a member's sealed DKG round-two packages. */
  committeeRound2: "huzhu-desk/committee-round2/v1",
  /** Signed: a member's statement of the key set it finished with (the committee record). */
  committeeMember: "huzhu-desk/committee-member/v1",
  /** Signed: a member's report of a DKG package that fails. */
  committeeComplaint: "huzhu-desk/committee-complaint/v1",
  /** Signed: a member's vote on a case. */
  committeeVote: "huzhu-desk/committee-vote/v1",
  /** HPKE info: something one committee member seals to another (kind, run or case, from, to). */
  committeeSealed: "huzhu-desk/committee-sealed/v1",
} as const;
