/**
 * The tree service's refusals (standalone, service/trees/server.ts): its own codes, and the service
 * kit's HTTP-level faults, each mapped to an HTTP status. Hosted by the relayer, the same routes
 * answer with these codes too (routes.ts writes them directly).
 */
import { errorReply } from "../kit/error-reply.ts";
import { HTTP_FAULT_STATUS, HttpFaultCode } from "../kit/http-faults.ts";
import { CodedError } from "../sdk/coded-error.ts";

export const TreeErrorCode = {
  /** No member of this plan is indexed (no such plan, no member yet, or the index has not read it yet). */
  PlanUnknown: "TREE_PLAN_UNKNOWN",
  /** The index never had this root, or it left the chain in a reorganisation. */
  RootUnknown: "TREE_ROOT_UNKNOWN",
  InvalidParameter: "TREE_INVALID_PARAMETER",
  ...HttpFaultCode,
} as const;
export type TreeErrorCode = (typeof TreeErrorCode)[keyof typeof TreeErrorCode];

const STATUS: Record<TreeErrorCode, number> = {
  TREE_PLAN_UNKNOWN: 404,
  TREE_ROOT_UNKNOWN: 404,
  TREE_INVALID_PARAMETER: 400,
  ...HTTP_FAULT_STATUS,
};

export class TreeError extends CodedError<TreeErrorCode> {
  readonly statusCode: number;

  constructor(code: TreeErrorCode, message: string) {
    super(code, message);
    this.name = "TreeError";
    this.statusCode = STATUS[code];
  }
}

/** The reply body of a tree refusal, for routes that answer directly (they also run inside the relayer). */
export function treeErrorBody(code: TreeErrorCode, message: string) {
  return errorReply(STATUS[code], code, message);
}

/**
 * An HTTP-level fault as a tree error: the only bodies and parameters the tree routes take are the
 * plan id and root in the path, so a schema refusal is an invalid parameter.
 */
export function treeFault(code: HttpFaultCode, message: string): TreeError {
  if (code === HttpFaultCode.InvalidBody)
    return new TreeError(TreeErrorCode.InvalidParameter, `${message}: plan ids and roots are decimal numbers`);
  return new TreeError(code, message);
}

/** Why the index stopped: its file disagrees with itself, a block vanished mid-read, or events are missing. */
export type TreeIndexErrorCode = "TREE_INDEX_CORRUPT" | "TREE_BLOCK_VANISHED" | "TREE_EVENTS_MISSING";

export class TreeIndexError extends CodedError<TreeIndexErrorCode> {
  constructor(code: TreeIndexErrorCode, message: string) {
    super(code, message);
    this.name = "TreeIndexError";
  }
}
