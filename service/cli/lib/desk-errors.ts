/**
 * What to do next after a claims desk refusal: the desk's own codes (its HTTP replies), the desk
 * client's (UNREACHABLE, BAD_REPLY) and the SDK's desk checks, each with a command to try.
 */
import type { DeskRequestError } from "../../sdk/desk/client.ts";

const HINTS: Record<string, string> = {
  UNREACHABLE: "is the desk running (`npm start` starts one on 127.0.0.1:8788)? pass --desk <url> or set HUZHU_DESK_URL",
  BAD_URL: "pass --desk <url> (e.g. http://127.0.0.1:8788) or set HUZHU_DESK_URL",
  BAD_REPLY: "this desk does not speak the desk API the CLI knows; check --desk / HUZHU_DESK_URL",
  DESK_PLAN_UNKNOWN: "run `huzhu plans list`",
  DESK_NOT_AN_ASSESSOR: "ask the plan's admin to add your key: `huzhu assessor add <planId> --key <your key file>`",
  DESK_CASE_NOT_FOUND: "check the case id: `huzhu case list` (members) or `huzhu assessor cases --plan <id>` (assessors)",
  DESK_CASE_DECIDED: "the case is decided already: see the decision with `huzhu case show <caseId>`",
  DESK_CASE_INCOMPLETE: "the member's files have not all arrived yet; try again once the case is listed as new",
  DESK_TOO_LARGE: "leave out or shrink some files (a lower-resolution photo, a compressed PDF)",
  DESK_SESSION_INVALID: "run the command again: it signs in afresh",
  DESK_CHALLENGE_INVALID: "run the command again: it asks for a fresh challenge",
  DESK_CHAIN_UNAVAILABLE: "the desk cannot read the chain right now; try again in a moment",
  DESK_NO_ASSESSORS:
    "no assessor of this plan has joined the desk yet: an assessor runs `huzhu assessor desk-join --plan <id>` (or any `huzhu assessor cases`)",
  DESK_RECORD_NOT_YOURS: "this case was filed with another identity: pass --identity <that keystore>",
  DESK_PART_TAMPERED:
    "the case was altered after its member sealed it (at the desk or on the way): do not act on it; ask the member to file it again",
  DESK_FILE_MISMATCH: "a file is not the one the member sealed: do not act on it; ask the member to file the case again",
  DESK_MEMBER_SIGNATURE_INVALID: "the case is not signed by the member it names: do not act on it",
  DESK_NOT_A_RECIPIENT:
    "the case was not encrypted to this assessor key (it joined the desk's roster later); another assessor of the plan can open it",
};

/** A command to try after a desk refusal with `code`, if there is one. */
export function deskHint(code: string): string | undefined {
  return HINTS[code];
}

/** A desk client failure as the CLI prints it. */
export function describeDeskError(error: DeskRequestError): { code: string; message: string; hint?: string } {
  const hint = deskHint(error.code);
  const message = error.statusCode === 0 ? error.message : `the desk refused (${error.code}): ${error.message}`;
  return { code: error.code, message, ...(hint ? { hint } : {}) };
}
