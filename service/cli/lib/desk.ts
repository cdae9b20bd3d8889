/**
 * The claims desk on the command line: its URL (`--desk`, HUZHU_DESK_URL, default
 * http://127.0.0.1:8788), a client checked against the pool the CLI talks to, the member's case
 * records under $HUZHU_HOME/cases (sealed with a key from the identity), evidence files read from
 * disk and decrypted ones written back, and an assessor's sign-in, which publishes the assessor's
 * roster entry the first time (when the desk lists none for its current desk key).
 */
import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import type { Command } from "commander";
import type { AssessorKey } from "../../sdk/assessor.ts";
import type { PlanInfo } from "../../sdk/chain/pool.ts";
import type { EvidenceFile } from "../../sdk/desk/case.ts";
import { DeskClient } from "../../sdk/desk/client.ts";
import { deriveDeskKey } from "../../sdk/desk/desk-key.ts";
import { type AssessorSession, publishRosterEntry, signIn } from "../../sdk/desk/flows.ts";
import { DESK_LIMITS } from "../../sdk/desk/limits.ts";
import { type MemberCaseRecord, openMemberRecord, type SealedMemberRecord, sealMemberRecord } from "../../sdk/desk/member-record.ts";
import type { RosterEntry } from "../../sdk/desk/roster.ts";
import { HuzhuError } from "../../sdk/errors.ts";
import type { Identity } from "../../sdk/identity.ts";
import { formatAmount } from "./amounts.ts";
import type { PoolConnection, TokenInfo } from "./chain.ts";
import { CliError } from "./errors.ts";
import { readJsonFile, writeFileSafely } from "./files.ts";
import { huzhuHome } from "./identity.ts";
import type { Output } from "./output.ts";

export const DEFAULT_DESK = "http://127.0.0.1:8788";

export interface DeskOptions {
  desk?: string;
}

export function addDeskOption(command: Command): Command {
  return command.option("--desk <url>", `claims desk URL (env HUZHU_DESK_URL; default ${DEFAULT_DESK})`);
}

export function deskUrl(opts: DeskOptions, recorded?: string): string {
  return opts.desk ?? recorded ?? (process.env.HUZHU_DESK_URL || DEFAULT_DESK);
}

/** A client for the desk, refused (DESK_MISMATCH) if it serves another chain or pool than `connection`. */
export async function connectDesk(url: string, connection: PoolConnection): Promise<DeskClient> {
  const client = new DeskClient(url);
  const info = await client.info();
  if (info.chainId !== connection.chainId || info.pool.toLowerCase() !== connection.pool.toLowerCase()) {
    throw new CliError(
      "DESK_MISMATCH",
      `the desk at ${client.baseUrl} serves pool ${info.pool} on chain ${info.chainId}, not pool ${connection.pool} on chain ${connection.chainId}`,
      "pass the desk of this pool with --desk <url> (or HUZHU_DESK_URL)",
    );
  }
  return client;
}

/** BAD_AMOUNT for 0, AMOUNT_OVER_CAP over the plan's claim cap (an approval over it cannot be paid). */
export function requireClaimable(amount: bigint, plan: PlanInfo, token: TokenInfo, what: "asked" | "approved"): void {
  if (amount === 0n) throw new CliError("BAD_AMOUNT", `the amount ${what} must be more than 0`);
  if (amount > plan.claimCap) {
    throw new CliError(
      "AMOUNT_OVER_CAP",
      `${formatAmount(amount, token)} exceeds plan ${plan.planId}'s claim cap of ${formatAmount(plan.claimCap, token)}`,
      "`huzhu plan show <id>` shows the plan's claim cap",
    );
  }
}

const CASE_ID = /^[A-Za-z0-9_-]{16,64}$/;

export function parseCaseId(text: string): string {
  if (!CASE_ID.test(text)) {
    throw new CliError("BAD_CASE_ID", `a case id is 16 to 64 letters, digits, - and _, as the desk gave it; got ${JSON.stringify(text)}`);
  }
  return text;
}

// ---- the member's case records --------------------------------------------------------------

export function casesDir(): string {
  return join(huzhuHome(), "cases");
}

export function caseRecordPath(caseId: string): string {
  return join(casesDir(), `${parseCaseId(caseId)}.json`);
}

/** Keeps the record (capability, reply secret, event id) sealed under the identity's key, owner-only. */
export async function saveCaseRecord(identity: Identity, record: MemberCaseRecord): Promise<string> {
  const path = caseRecordPath(record.caseId);
  await writeFileSafely(path, await sealMemberRecord(identity, record), { secret: true, force: true });
  return path;
}

export async function loadCaseRecord(identity: Identity, caseId: string): Promise<MemberCaseRecord> {
  const path = caseRecordPath(caseId);
  let sealed: unknown;
  try {
    sealed = await readJsonFile(path, "case record");
  } catch (error) {
    if (error instanceof CliError && error.code === "FILE_NOT_FOUND") {
      throw new CliError(
        "UNKNOWN_CASE",
        `no case ${caseId} was filed from ${huzhuHome()} (no record at ${path})`,
        "`huzhu case list` shows the cases filed from this HUZHU_HOME",
        { cause: error },
      );
    }
    throw error;
  }
  const record = await openMemberRecord(identity, sealed as SealedMemberRecord);
  if (record.caseId !== caseId) throw new CliError("BAD_CASE_RECORD", `${path} holds the record of another case (${record.caseId})`);
  return record;
}

/** Every case record under HUZHU_HOME/cases that this identity opens; the names of those it does not. */
export async function listCaseRecords(identity: Identity): Promise<{ records: MemberCaseRecord[]; notYours: string[] }> {
  const names = await readdir(casesDir()).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });
  const records: MemberCaseRecord[] = [];
  const notYours: string[] = [];
  for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
    try {
      records.push(await openMemberRecord(identity, (await readJsonFile(join(casesDir(), name), "case record")) as SealedMemberRecord));
    } catch (error) {
      if (!(error instanceof HuzhuError || error instanceof CliError)) throw error;
      notYours.push(name);
    }
  }
  return { records, notYours };
}

// ---- evidence files ---------------------------------------------------------------------------

const MEDIA_TYPES: Record<string, string> = {
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".heic": "image/heic",
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".json": "application/json",
  ".doc": "application/msword",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
};

export function mediaType(path: string): string {
  return MEDIA_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** Reads evidence files, refusing (DESK_TOO_LARGE) before reading any that the desk would not take. */
export async function readEvidence(paths: readonly string[]): Promise<EvidenceFile[]> {
  if (paths.length > DESK_LIMITS.maxFiles) {
    throw new CliError("DESK_TOO_LARGE", `a case or message holds at most ${DESK_LIMITS.maxFiles} files, got ${paths.length}`);
  }
  let total = 0;
  for (const path of paths) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(
        error.code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_UNREADABLE",
        `cannot read the evidence file ${path} (${error.code})`,
      );
    });
    if (!info.isFile()) throw new CliError("FILE_UNREADABLE", `${path} is not a file`);
    if (info.size > DESK_LIMITS.maxFileBytes) {
      throw new CliError(
        "DESK_TOO_LARGE",
        `${path} is ${info.size} bytes, over the desk's ${DESK_LIMITS.maxFileBytes} bytes (10 MiB) a file`,
        "shrink it (a lower-resolution photo, a compressed PDF) or split it",
      );
    }
    total += info.size;
  }
  if (total > DESK_LIMITS.maxCaseBytes - DESK_LIMITS.maxDocumentBytes) {
    throw new CliError("DESK_TOO_LARGE", `the files total ${total} bytes, over what the desk takes in one case (25 MiB)`);
  }
  return Promise.all(
    paths.map(async (path) => ({ name: basename(path), type: mediaType(path), bytes: new Uint8Array(await readFile(path)) })),
  );
}

/** A name safe to write in a folder: no path, no leading dots, only plain characters. */
function safeName(name: string): string {
  const cleaned = basename(name)
    .replace(/[^\p{L}\p{N}._ -]/gu, "_")
    .replace(/^\.+/, "");
  return cleaned.length > 0 ? cleaned.slice(0, 120) : "file";
}

/** Writes a decrypted file into `dir` as `<prefix>-<name>` (owner-only, replacing an earlier copy); returns its path. */
export async function writeEvidence(dir: string, prefix: string, file: { name: string; bytes: Uint8Array }): Promise<string> {
  const path = join(dir, `${prefix}-${safeName(file.name)}`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(path, file.bytes, { mode: 0o600 });
    await chmod(path, 0o600);
  } catch (error) {
    throw new CliError(
      "FILE_UNWRITABLE",
      `cannot write ${path} (${(error as NodeJS.ErrnoException).code})`,
      "pass --out <dir> to write elsewhere",
      { cause: error },
    );
  }
  return path;
}

// ---- assessors ---------------------------------------------------------------------------------

function isOwnEntry(entry: RosterEntry, key: AssessorKey, hpkePublicKey: string): boolean {
  return (
    entry.assessorPublicKey[0] === key.publicKey[0].toString() &&
    entry.assessorPublicKey[1] === key.publicKey[1].toString() &&
    entry.hpkePublicKey === hpkePublicKey
  );
}

/**
 * Signs in to the desk as an assessor of `planId` (a signature over the desk's fresh challenge)
 * and publishes the assessor's roster entry when the desk lists none for this key (or `publish`),
 * so that members can encrypt cases to it.
 */
export async function assessorSignIn(
  client: DeskClient,
  key: AssessorKey,
  planId: bigint,
  out: Output,
  publish = false,
): Promise<{ session: AssessorSession; entry: RosterEntry | undefined }> {
  const { token } = await signIn(client, key, planId);
  const session = { client, token, assessorKey: key };
  const deskKey = await deriveDeskKey(key);
  const listed = (await client.roster(planId)).find((entry) => isOwnEntry(entry, key, deskKey.publicKey));
  if (listed && !publish) return { session, entry: listed };
  const entry = await publishRosterEntry(client, token, key, planId);
  out.note(`published this assessor's roster entry for plan ${planId} at ${client.baseUrl}: members now encrypt new cases to it too`);
  return { session, entry };
}
