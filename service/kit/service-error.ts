/**
 * A service's own faults, as opposed to a client's mistakes: what stops it from starting (the chain
 * or the database cannot be reached, the pool address holds no contract, the database belongs to
 * another instance or a newer version) and what a store refuses while running. Each has a stable
 * code, the message says what to do, and the error it explains is kept as `cause`.
 */
import { CodedError, type CodedErrorOptions } from "../sdk/coded-error.ts";

export const ServiceErrorCode = {
  /** The chain's JSON-RPC endpoint did not answer. */
  ChainUnreachable: "CHAIN_UNREACHABLE",
  /** HUZHU_POOL holds no contract on the chain the RPC URL names. */
  NoPoolContract: "NO_POOL_CONTRACT",
  /** The database (or an open session to it) cannot be reached. */
  StoreUnreachable: "STORE_UNREACHABLE",
  /** Another process holds the SQLite file. */
  StoreInUse: "STORE_IN_USE",
  /** The database was migrated by a newer version of the service. */
  StoreSchemaNewer: "STORE_SCHEMA_NEWER",
  /** The database belongs to another relayer, pool or chain. */
  StoreOwnedElsewhere: "STORE_OWNED_ELSEWHERE",
  /** A write only the instance holding the writer's lock may make. */
  StoreNotWriter: "STORE_NOT_WRITER",
  /** The store was closed (the service is stopping). */
  StoreClosed: "STORE_CLOSED",
  /** A row the store has just written is not there: the database is not behaving as one. */
  StoreInconsistent: "STORE_INCONSISTENT",
} as const;
export type ServiceErrorCode = (typeof ServiceErrorCode)[keyof typeof ServiceErrorCode];

export class ServiceError extends CodedError<ServiceErrorCode> {
  constructor(code: ServiceErrorCode, message: string, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = "ServiceError";
  }
}
