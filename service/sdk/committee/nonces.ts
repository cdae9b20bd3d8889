/**
 * Round one: a signer's nonce commitments, and the store that keeps the nonces behind them on the
 * signer's device. A nonce signs at most one share: the store hands it out once and remembers it as
 * used, so a second signing package naming the same commitment is refused (two shares under one
 * nonce would reveal the member's share). Nonces are never serialized in clear: the store lives in
 * memory and is written to disk only sealed under a password (`seal` / `NonceStore.open`).
 */
import type { Nonces } from "@noble/curves/abstract/frost.js";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { type KdfOptions, openSecret, type SealedSecret, sealSecret } from "../keystore.ts";
import { type CommitteeShare, frostSecret } from "./share.ts";
import { committeeFrost } from "./suite.ts";
import {
  decodeHex,
  decodeMember,
  decodePoint,
  decodeScalar,
  decodeSessionId,
  isObject,
  MAX_COMMITTEE_SIZE,
  malformed,
  toHex,
} from "./wire.ts";

/** A signer's round-one message: public, sent to the coordinator. */
export interface NonceCommitment {
  keySetId: string;
  sessionId: string;
  member: number;
  /** noble's hiding and binding nonce commitments (points, hex). */
  hiding: string;
  binding: string;
}

interface PendingNonce {
  keySetId: string;
  sessionId: string;
  member: number;
  hiding: string;
  binding: string;
}

const key = (c: { hiding: string; binding: string }) => `${c.hiding}${c.binding}`;
const SEAL_HEADER = "huzhu-committee-nonces:1";

export class NonceStore {
  readonly #pending = new Map<string, { meta: PendingNonce; nonces: Nonces }>();
  readonly #used = new Set<string>();

  /** Round one: fresh nonces for `sessionId`, kept here; returns their public commitments. */
  commit(share: CommitteeShare, sessionId: string): NonceCommitment {
    decodeSessionId(sessionId);
    const { nonces, commitments } = committeeFrost.commit(frostSecret(share));
    const meta: PendingNonce = {
      keySetId: share.keySet.id,
      sessionId,
      member: share.member,
      hiding: toHex(commitments.hiding),
      binding: toHex(commitments.binding),
    };
    this.#pending.set(key(meta), { meta, nonces });
    return { ...meta };
  }

  /**
   * Hands out, once, the nonces behind `commitment` for signing in `sessionId` with `share`. Throws
   * COMMITTEE_NONCE_USED for a nonce already handed out, COMMITTEE_NONCE_UNKNOWN for one this
   * store never made, COMMITTEE_WRONG_SESSION / COMMITTEE_WRONG_KEY_SET for one made for another.
   */
  take(commitment: NonceCommitment, share: CommitteeShare, sessionId: string): Nonces {
    const k = key(commitment);
    if (this.#used.has(k)) {
      throw new HuzhuError(ErrorCode.CommitteeNonceUsed, "this nonce commitment has already signed a share: ask for a fresh commitment", {
        member: commitment.member,
      });
    }
    const entry = this.#pending.get(k);
    if (entry === undefined) {
      throw new HuzhuError(ErrorCode.CommitteeNonceUnknown, "no nonce for this commitment here (made on another device, or discarded)", {
        member: commitment.member,
      });
    }
    if (entry.meta.keySetId !== share.keySet.id || entry.meta.member !== share.member) {
      throw new HuzhuError(ErrorCode.CommitteeWrongKeySet, "this nonce was committed for another key set or member");
    }
    if (entry.meta.sessionId !== sessionId) {
      throw new HuzhuError(
        ErrorCode.CommitteeWrongSession,
        `this nonce was committed for session ${entry.meta.sessionId}, not ${sessionId}`,
      );
    }
    this.#pending.delete(k);
    this.#used.add(k);
    return entry.nonces;
  }

  /** Drops the unused nonces of a session (it was abandoned); they can then never sign. */
  discard(sessionId: string): void {
    for (const [k, entry] of this.#pending) {
      if (entry.meta.sessionId === sessionId) {
        this.#pending.delete(k);
        this.#used.add(k);
      }
    }
  }

  /** Commitments whose nonces are waiting for round two. */
  get pending(): NonceCommitment[] {
    return [...this.#pending.values()].map(({ meta }) => ({ ...meta }));
  }

  /**
   * The store sealed under `password` (the SDK's sealSecret), for a signer whose round two comes
   * after a restart. Restore only the latest copy: an older one would hold nonces since used.
   */
  async seal(password: string, options: KdfOptions = {}): Promise<SealedSecret> {
    const text = JSON.stringify({
      pending: [...this.#pending.values()].map(({ meta, nonces }) => ({ ...meta, nonces: [toHex(nonces.hiding), toHex(nonces.binding)] })),
      used: [...this.#used],
    });
    return sealSecret(text, password, SEAL_HEADER, options);
  }

  static async open(sealed: SealedSecret, password: string): Promise<NonceStore> {
    const value: unknown = JSON.parse(await openSecret(sealed, password, SEAL_HEADER, "committee nonce store"));
    if (!isObject(value) || !Array.isArray(value.pending) || !Array.isArray(value.used)) return malformed("a nonce store");
    const store = new NonceStore();
    for (const used of value.used) {
      if (typeof used !== "string" || !/^[0-9a-f]{128}$/.test(used)) malformed("a used nonce commitment");
      store.#used.add(used as string);
    }
    for (const entry of value.pending as unknown[]) {
      if (!isObject(entry) || !Array.isArray(entry.nonces)) return malformed("a pending nonce");
      decodeHex(entry.keySetId, "keySetId", 32);
      decodePoint(entry.hiding, "hiding");
      decodePoint(entry.binding, "binding");
      const meta: PendingNonce = {
        keySetId: entry.keySetId as string,
        sessionId: decodeSessionId(entry.sessionId),
        member: decodeMember(entry.member, "member", MAX_COMMITTEE_SIZE),
        hiding: entry.hiding as string,
        binding: entry.binding as string,
      };
      const nonces = { hiding: decodeScalar(entry.nonces[0], "nonce"), binding: decodeScalar(entry.nonces[1], "nonce") } as Nonces;
      store.#pending.set(key(meta), { meta, nonces });
    }
    return store;
  }
}
