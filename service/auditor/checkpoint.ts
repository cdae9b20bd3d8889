/**
 * The auditor's checkpoint: every event read so far (with each claim's proof verdict), the last
 * block read and its hash. A re-run reads only newer blocks. If the chain no longer holds the
 * checkpoint's last block (a reorganisation), the auditor walks back through the hashes of the
 * blocks its events came from, keeps the events up to the newest block that is still on the
 * chain, and reads again from there.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { Address, Hex, PublicClient } from "viem";
import { AuditError, AuditErrorCode } from "./errors.ts";
import type { PoolEvent } from "./events.ts";

/**
 * Version 2 is one line of JSON for the checkpoint's facts, then one line per event: it is written
 * and read a line at a time, so its size is not bounded by the largest string the runtime can hold
 * (version 1, one JSON text, stopped near 1.3 million events). Version 1 files are still read.
 */
export const CHECKPOINT_VERSION = 2;

export interface Checkpoint {
  version: typeof CHECKPOINT_VERSION;
  chainId: bigint;
  pool: Address;
  fromBlock: bigint;
  /** sha256 of the verification key the proof verdicts were made with. */
  vkeyHash: string;
  lastBlock: bigint;
  lastBlockHash: Hex;
  events: PoolEvent[];
}

/** bigints are stored as {"$n": "<decimal>"} so no string is ever mistaken for a number. */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? { $n: value.toString() } : value;
}

/** The inverse of `replacer`, walked once over a parsed value (much faster than JSON.parse's reviver). */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === "$n" && typeof record.$n === "string") return BigInt(record.$n);
  for (const key of keys) record[key] = revive(record[key]);
  return record;
}

const NOT_A_CHECKPOINT = "not a Huzhu audit checkpoint (version 1 or 2); delete it to audit from the first block";

function header(checkpoint: Checkpoint): string {
  const { events, ...facts } = checkpoint;
  return JSON.stringify({ ...facts, events: events.length }, replacer);
}

/** The whole checkpoint as text (version 2: one line of facts, one line per event). */
export function encodeCheckpoint(checkpoint: Checkpoint): string {
  return [header(checkpoint), ...checkpoint.events.map((e) => JSON.stringify(e, replacer))].join("\n");
}

/** Version 2's first line: the checkpoint's facts and how many event lines follow. */
type Facts = Omit<Checkpoint, "events"> & { events: number };

/** Reads a checkpoint a line at a time: version 2's facts then its events, or version 1's one JSON text. */
class CheckpointReader {
  #facts: Facts | undefined;
  #whole: Checkpoint | undefined;
  readonly #events: PoolEvent[] = [];

  push(line: string): void {
    if (line.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = revive(JSON.parse(line));
    } catch (error) {
      throw new AuditError(AuditErrorCode.CheckpointInvalid, NOT_A_CHECKPOINT, { cause: error });
    }
    if (this.#whole) throw new AuditError(AuditErrorCode.CheckpointInvalid, NOT_A_CHECKPOINT);
    if (this.#facts) {
      this.#events.push(parsed as PoolEvent);
      return;
    }
    const first = parsed as { version?: unknown; events?: unknown };
    if (first.version === 1 && Array.isArray(first.events)) this.#whole = { ...(first as Checkpoint), version: CHECKPOINT_VERSION };
    else if (first.version === CHECKPOINT_VERSION && typeof first.events === "number") this.#facts = parsed as Facts;
    else throw new AuditError(AuditErrorCode.CheckpointInvalid, NOT_A_CHECKPOINT);
  }

  finish(): Checkpoint {
    if (this.#whole) return this.#whole;
    if (!this.#facts) throw new AuditError(AuditErrorCode.CheckpointInvalid, NOT_A_CHECKPOINT);
    if (this.#facts.events !== this.#events.length) {
      throw new AuditError(
        AuditErrorCode.CheckpointTruncated,
        `the audit checkpoint is cut off (${this.#events.length} of ${this.#facts.events} events); delete it to audit from the first block`,
      );
    }
    return { ...this.#facts, events: this.#events };
  }
}

export function decodeCheckpoint(text: string): Checkpoint {
  const reader = new CheckpointReader();
  for (const line of text.split("\n")) reader.push(line);
  return reader.finish();
}

/** The checkpoint at `path`, or undefined if there is none; read a line at a time. */
export async function loadCheckpoint(path: string): Promise<Checkpoint | undefined> {
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const reader = new CheckpointReader();
  for await (const line of createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity })) reader.push(line);
  return reader.finish();
}

/**
 * Writes a line at a time and atomically (temporary file, then rename): an interrupted run never
 * leaves half a checkpoint.
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp, { encoding: "utf8" });
  const write = (text: string) => new Promise<void>((resolve, reject) => out.write(text, (error) => (error ? reject(error) : resolve())));
  await write(`${header(checkpoint)}\n`);
  const events = checkpoint.events;
  for (let i = 0; i < events.length; i += 1_000) {
    await write(
      `${events
        .slice(i, i + 1_000)
        .map((e) => JSON.stringify(e, replacer))
        .join("\n")}\n`,
    );
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  await rename(tmp, path);
}

async function hashAt(client: PublicClient, block: bigint): Promise<Hex | undefined> {
  try {
    return (await client.getBlock({ blockNumber: block })).hash ?? undefined;
  } catch {
    return undefined; // beyond the chain's head
  }
}

export interface Resume {
  /** Events still on the chain. */
  events: PoolEvent[];
  /** First block to read. */
  nextBlock: bigint;
  /** Set when the checkpoint's tail was reorganised away: the block it was rewound from. */
  rewoundFrom?: bigint;
}

/**
 * Where to continue from `checkpoint` on the chain `client` sees now. Keeps the events of every
 * block whose hash still matches, up to the newest such block, and drops the rest.
 */
export async function resumeFrom(client: PublicClient, checkpoint: Checkpoint): Promise<Resume> {
  if ((await hashAt(client, checkpoint.lastBlock)) === checkpoint.lastBlockHash) {
    return { events: checkpoint.events, nextBlock: checkpoint.lastBlock + 1n };
  }
  // Newest first: the distinct blocks the stored events came from.
  const blocks = new Map<bigint, Hex>();
  for (const e of checkpoint.events) blocks.set(e.block, e.blockHash);
  const candidates = [...blocks.entries()].sort((a, b) => (a[0] < b[0] ? 1 : -1));
  for (const [block, hash] of candidates) {
    if ((await hashAt(client, block)) === hash) {
      return {
        events: checkpoint.events.filter((e) => e.block <= block),
        nextBlock: block + 1n,
        rewoundFrom: checkpoint.lastBlock,
      };
    }
  }
  return { events: [], nextBlock: checkpoint.fromBlock, rewoundFrom: checkpoint.lastBlock };
}
