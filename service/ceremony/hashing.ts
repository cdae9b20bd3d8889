/** File and text digests, streamed so that multi-gigabyte Powers of Tau files never sit in memory. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

async function digestFile(algorithm: string, path: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** blake2b-512 of a file, hex: the digest `b2sum` prints and the Powers of Tau ceremonies publish. */
export function blake2bFile(path: string): Promise<string> {
  return digestFile("blake2b512", path);
}

export function sha256File(path: string): Promise<string> {
  return digestFile("sha256", path);
}

export function sha256Text(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hex without 0x, from the SDK's one codec. */
export { toPlainHex as toHex } from "../sdk/bytes.ts";
