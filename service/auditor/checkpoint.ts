/**
 * The auditor's checkpoint: every event read so far (with each claim's proof verdict), the last
 * block read and its hash. A re-run reads only newer blocks. If the chain no longer holds the
 * checkpoint's last block (a reorganisation), the auditor walks back through the hashes of the
 * blocks its events came from, keeps the events up to the newest block that is still on the
 * chain, and reads again from there.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Address, Hex, PublicClient } from "viem";
import type { PoolEvent } from "./events.ts";

export const CHECKPOINT_VERSION = 1;

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

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$n") return BigInt((value as { $n: string }).$n);
  }
  return value;
}

export function encodeCheckpoint(checkpoint: Checkpoint): string {
  return JSON.stringify(checkpoint, replacer);
}

export function decodeCheckpoint(text: string): Checkpoint {
  const parsed = JSON.parse(text, reviver) as Checkpoint;
  if (parsed.version !== CHECKPOINT_VERSION || !Array.isArray(parsed.events)) throw new Error("not a Huzhu audit checkpoint (version 1)");
  return parsed;
}

/** The checkpoint at `path`, or undefined if there is none. */
export async function loadCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return decodeCheckpoint(text);
}

/** Writes atomically (temporary file, then rename): an interrupted run never leaves half a checkpoint. */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, encodeCheckpoint(checkpoint));
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
