/**
 * The web app's side of the claims desk (docs/DESK.md): a desk client whose uploads report their
 * progress, the plan's assessor set as the chain holds it, the member's case records kept in
 * localStorage sealed under the identity's key, evidence files read from and shown to the page,
 * and the assessor's key file opened in the page (its key never leaves it).
 */
import { type PublicClient, parseUnits } from "viem";
import { type AssessorKey, assessorKeyFromPrivate } from "../../service/sdk/assessor.ts";
import { loadAssessorTreeFromServices } from "../../service/sdk/chain/tree-source.ts";
import { CodedError, type CodedErrorOptions } from "../../service/sdk/coded-error.ts";
import { NonceStore } from "../../service/sdk/committee/nonces.ts";
import type { EvidenceFile } from "../../service/sdk/desk/case.ts";
import { DeskClient } from "../../service/sdk/desk/client.ts";
import type { CommitteeSigner } from "../../service/sdk/desk/committee-flows.ts";
import { openCommitteeMember } from "../../service/sdk/desk/committee-member.ts";
import type { AssessorSession } from "../../service/sdk/desk/flows.ts";
import {
  type MemberCaseRecord,
  openMemberRecord,
  type SealedMemberRecord,
  sealMemberRecord,
} from "../../service/sdk/desk/member-record.ts";
import { ErrorCode, HuzhuError } from "../../service/sdk/errors.ts";
import { toField } from "../../service/sdk/field.ts";
import type { Identity } from "../../service/sdk/identity.ts";
import { checkSealedSecret, openSecret } from "../../service/sdk/keystore.ts";
import type { AssessorTree } from "../../service/sdk/trees.ts";
import { formatAmount, poolRef, type TokenInfo } from "./chain.ts";
import { deskUrlOf, type RuntimeConfig } from "./config.ts";
import { UserMessage } from "./errors.ts";
import type { Translate } from "./i18n.ts";

/** Bytes sent so far of one request's body. */
export type UploadListener = (url: string, loaded: number, total: number) => void;

/**
 * `fetch` on XMLHttpRequest, whose upload events say how much of a body has gone (fetch has no
 * upload progress): the desk client's transport while a case's files are sent.
 */
export function progressFetch(listener: () => UploadListener | undefined): typeof fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = input instanceof Request ? input.url : String(input);
      const xhr = new XMLHttpRequest();
      xhr.open(init.method ?? "GET", url);
      xhr.responseType = "arraybuffer";
      new Headers(init.headers).forEach((value, name) => {
        xhr.setRequestHeader(name, value);
      });
      const onUpload = listener();
      if (onUpload && init.body) xhr.upload.onprogress = (event) => onUpload(url, event.loaded, event.total);
      xhr.onload = () => {
        const headers = new Headers();
        for (const line of xhr
          .getAllResponseHeaders()
          .trim()
          .split(/[\r\n]+/)) {
          const at = line.indexOf(":");
          if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
        }
        const empty = xhr.status === 204 || xhr.status === 304;
        resolve(new Response(empty ? null : (xhr.response as ArrayBuffer), { status: xhr.status, headers }));
      };
      xhr.onerror = () => reject(new TypeError(`network error on ${init.method ?? "GET"} ${url}`));
      xhr.onabort = () => reject(init.signal?.reason ?? new DOMException("aborted", "AbortError"));
      init.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
      xhr.send((init.body ?? null) as XMLHttpRequestBodyInit | null);
    });
}

/** A client of the configured desk (or of `url`); `onUpload` hears of every body it sends. */
export function deskClient(config: RuntimeConfig, options: { url?: string; onUpload?: () => UploadListener | undefined } = {}): DeskClient {
  const url = options.url ?? deskUrlOf(config);
  return options.onUpload ? new DeskClient(url, { fetch: progressFetch(options.onUpload) }) : new DeskClient(url);
}

/**
 * The plan's assessor set, checked against the pool's assessor root: from the relayer's tree
 * service when it answers truly, else from the pool's events. Roster entries are checked against it.
 */
export async function planAssessorTree(config: RuntimeConfig, client: PublicClient, planId: bigint): Promise<AssessorTree> {
  const servers = config.relayerUrl ? [config.relayerUrl] : [];
  return (await loadAssessorTreeFromServices(poolRef(config, client), planId, { servers })).tree;
}

const CASES_ITEM = "huzhu.desk.cases";

function storedRecords(): SealedMemberRecord[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(CASES_ITEM) ?? "[]");
    return Array.isArray(parsed) ? (parsed as SealedMemberRecord[]) : [];
  } catch {
    return [];
  }
}

/** Keeps a filed case's record in this browser, sealed under a key from the identity (nothing of it is readable without it). */
export async function keepCaseRecord(identity: Identity, record: MemberCaseRecord): Promise<void> {
  const sealed = await sealMemberRecord(identity, record);
  localStorage.setItem(CASES_ITEM, JSON.stringify([...storedRecords(), sealed]));
}

/** The records this identity sealed, newest first; records of other identities in this browser stay closed. */
export async function caseRecords(identity: Identity): Promise<MemberCaseRecord[]> {
  const opened: MemberCaseRecord[] = [];
  for (const sealed of storedRecords()) {
    try {
      opened.push(await openMemberRecord(identity, sealed));
    } catch (error) {
      if (!(error instanceof HuzhuError && error.code === ErrorCode.DeskRecordNotYours)) throw error;
    }
  }
  return opened.reverse();
}

/** A file the member chose, as the SDK seals it. */
export async function evidenceOf(file: File): Promise<EvidenceFile> {
  return { name: file.name, type: file.type || "application/octet-stream", bytes: new Uint8Array(await file.arrayBuffer()) };
}

/** Image types a browser shows safely in an <img> (scripts in an SVG do not run there). */
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/svg+xml"]);

const startsWith = (bytes: Uint8Array, text: string) => [...text].every((c, i) => bytes[i] === c.charCodeAt(0));

/**
 * How the page shows a decrypted file: images inline, PDFs (the bytes must be one) in the browser's
 * viewer, anything else only as a download: a file the member sent never renders as a page of this
 * origin.
 */
export function evidenceKind(file: { type: string; bytes: Uint8Array }): "image" | "pdf" | "other" {
  if (IMAGE_TYPES.has(file.type)) return "image";
  if (file.type === "application/pdf" && startsWith(file.bytes, "%PDF-")) return "pdf";
  return "other";
}

/** A blob URL for a decrypted file: its own type when shown inline, application/octet-stream otherwise. */
export function evidenceUrl(file: { type: string; bytes: Uint8Array }): string {
  const kind = evidenceKind(file);
  const type = kind === "other" ? "application/octet-stream" : file.type;
  return URL.createObjectURL(new Blob([Uint8Array.from(file.bytes)], { type }));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** An assessor signed in to the desk for one plan. */
export interface AssessorSignIn {
  session: AssessorSession;
  /** When the key is a committee member's: its share, the committee's record and its nonces (page memory only). */
  committee?: CommitteeSigner;
  planId: bigint;
  expiresAt: number;
}

/** The key file is not one, or does not open with the password: `reason` says which. */
export class AssessorKeyFileError extends CodedError<"ASSESSOR_KEY_FILE_REFUSED"> {
  readonly reason:
    | "not-a-key-file"
    | "password-needed"
    | "wrong-password"
    | "key-mismatch"
    | "committee-not-a-key-file"
    | "committee-wrong-password"
    | "committee-unknown"
    | "committee-not-member";
  /** The committee member index the file names (for "committee-not-member"). */
  member?: number;
  constructor(reason: AssessorKeyFileError["reason"], message: string, member?: number, options: CodedErrorOptions = {}) {
    super("ASSESSOR_KEY_FILE_REFUSED", message, options);
    this.name = "AssessorKeyFileError";
    this.reason = reason;
    if (member !== undefined) this.member = member;
  }
}

/** Whether a key file's private key is sealed under a password. */
export function keyFileNeedsPassword(json: unknown): boolean {
  return typeof json === "object" && json !== null && "encrypted" in json && !("privateKey" in json);
}

/**
 * Opens an assessor key file as `huzhu assessor keygen` writes it (`privateKey`, or `encrypted`
 * under a password: scrypt + AES-256-GCM with the public key as header) or as `npm start` writes the
 * demo key; checks that its public key is its private key's.
 */
export async function openAssessorKeyFile(json: unknown, password: string): Promise<AssessorKey> {
  const file = json as { kind?: unknown; version?: unknown; publicKey?: unknown; privateKey?: unknown; encrypted?: unknown } | null;
  const bad = (what: string, cause?: unknown) =>
    new AssessorKeyFileError("not-a-key-file", `not an assessor key file: ${what}`, undefined, { cause });
  if (typeof file !== "object" || file === null) throw bad("expected a JSON object");
  if (file.kind !== undefined && (file.kind !== "huzhu-assessor-key" || file.version !== 1))
    throw bad('kind must be "huzhu-assessor-key", version 1');
  const pk = file.publicKey;
  if (!Array.isArray(pk) || pk.length !== 2) throw bad("publicKey must be two decimal strings");
  let publicKey: readonly [bigint, bigint];
  try {
    publicKey = [toField(String(pk[0]), "publicKey.x"), toField(String(pk[1]), "publicKey.y")];
  } catch (error) {
    throw bad((error as Error).message, error);
  }
  let privateKey: string;
  if (typeof file.privateKey === "string") {
    privateKey = file.privateKey;
  } else if (file.encrypted !== undefined) {
    if (password === "") throw new AssessorKeyFileError("password-needed", "this key file is encrypted: type its password");
    const sealed = checkSealedSecret(file.encrypted as never, (what) => {
      throw bad(what);
    });
    try {
      privateKey = await openSecret(sealed, password, `huzhu-assessor-key:1:${publicKey[0]}:${publicKey[1]}`, "assessor key");
    } catch (error) {
      if (error instanceof HuzhuError)
        throw new AssessorKeyFileError("wrong-password", "wrong password for this assessor key file", undefined, { cause: error });
      throw error;
    }
  } else {
    throw bad("it holds no private key");
  }
  let key: AssessorKey;
  try {
    key = assessorKeyFromPrivate(privateKey);
  } catch (error) {
    throw bad((error as Error).message, error);
  }
  if (key.publicKey[0] !== publicKey[0] || key.publicKey[1] !== publicKey[1]) {
    throw new AssessorKeyFileError("key-mismatch", "the key file's public key does not belong to its private key");
  }
  return key;
}

/**
 * Opens a committee key file (as `huzhu committee join` writes it) with its password, finds the
 * committee's record at the desk by key set id and checks it, and checks that the file's member is
 * `assessorKey`'s own (the SDK's openCommitteeMember). The nonce store starts empty, in this page's
 * memory only: nonces are never stored, so a reload means voting again.
 */
export async function openCommitteeSigner(
  client: DeskClient,
  json: unknown,
  password: string,
  planId: bigint,
  assessorKey: AssessorKey,
): Promise<CommitteeSigner> {
  const records = await client.committees(planId);
  try {
    return { ...(await openCommitteeMember(json, password, records, planId, assessorKey.publicKey)), nonces: new NonceStore() };
  } catch (error) {
    if (!(error instanceof HuzhuError)) throw error;
    switch (error.code) {
      case ErrorCode.WrongPassword:
        throw new AssessorKeyFileError("committee-wrong-password", error.message, undefined, { cause: error });
      case ErrorCode.CommitteeInvalidKeyFile:
        throw new AssessorKeyFileError("committee-not-a-key-file", error.message, undefined, { cause: error });
      case ErrorCode.DeskCommitteeUnknown:
        throw new AssessorKeyFileError(
          "committee-unknown",
          `plan ${planId} has no finished committee with key set ${String(error.details.keySetId)}`,
          undefined,
          { cause: error },
        );
      case ErrorCode.CommitteeMemberKeyMismatch: {
        const member = error.details.member as number;
        throw new AssessorKeyFileError(
          "committee-not-member",
          `member ${member}'s key in this committee is not this assessor key`,
          member,
          {
            cause: error,
          },
        );
      }
      default:
        throw error;
    }
  }
}

/** An amount typed in token units ("20", "12.5"), above 0 and at most the plan's claim cap; a UserMessage says what is wrong. */
export function typedAmount(text: string, token: TokenInfo, claimCap: bigint, t: Translate): bigint {
  const trimmed = text.trim();
  if (!/^[0-9]+(\.[0-9]+)?$/.test(trimmed) || Number(trimmed) <= 0) throw new UserMessage(t("caseAmountInvalid"));
  const amount = parseUnits(trimmed, token.decimals);
  if (amount > claimCap) throw new UserMessage(t("caseAmountOverCap", { cap: formatAmount(claimCap, token) }));
  return amount;
}

/** An amount as the decimal the amount field takes (no grouping, no symbol). */
export function formatUnitsPlain(value: bigint, token: TokenInfo): string {
  const scale = 10n ** BigInt(token.decimals);
  const fraction = (value % scale).toString().padStart(token.decimals, "0").replace(/0+$/, "");
  return fraction ? `${value / scale}.${fraction}` : (value / scale).toString();
}
