/**
 * Reads the headers of iden3 binary files (`.ptau`, `.r1cs`) without loading them: a 4-byte magic,
 * a version, a section count, then sections of (type u32, size u64, data), all little-endian.
 * Only the section table and the small header section are read.
 */
import { open } from "node:fs/promises";

export interface Section {
  type: number;
  /** Offset of the section's data. */
  offset: number;
  size: number;
}

export interface BinFile {
  magic: string;
  version: number;
  sections: Section[];
  /** The data of section 1 (the header section). */
  header: Buffer;
}

/** Upper bound for a header section: a few integers and a field prime. */
const MAX_HEADER = 4096;

export async function readBinFile(path: string, magic: string): Promise<BinFile> {
  const file = await open(path, "r");
  try {
    const { size: fileSize } = await file.stat();
    const read = async (position: number, length: number): Promise<Buffer> => {
      if (position + length > fileSize) throw new Error("file ends inside a section header");
      const buffer = Buffer.alloc(length);
      await file.read(buffer, 0, length, position);
      return buffer;
    };
    const start = await read(0, 12);
    const found = start.toString("latin1", 0, 4);
    if (found !== magic) throw new Error(`not a .${magic} file (magic "${found}")`);
    const version = start.readUInt32LE(4);
    const count = start.readUInt32LE(8);
    const sections: Section[] = [];
    let position = 12;
    for (let i = 0; i < count; i++) {
      const entry = await read(position, 12);
      const size = Number(entry.readBigUInt64LE(4));
      sections.push({ type: entry.readUInt32LE(0), offset: position + 12, size });
      position += 12 + size;
    }
    if (position > fileSize) throw new Error("file is shorter than its sections");
    const headerSection = sections.find((s) => s.type === 1);
    if (!headerSection) throw new Error("file has no header section");
    if (headerSection.size > MAX_HEADER) throw new Error("header section is too large");
    return { magic, version, sections, header: await read(headerSection.offset, headerSection.size) };
  } finally {
    await file.close();
  }
}

export interface PtauHeader {
  /** The file holds 2^power powers: circuits up to 2^power constraints (inputs included). */
  power: number;
  /** The power the ceremony ran at (larger when the file was truncated). */
  ceremonyPower: number;
  /** Whether `prepare phase2` ran (the Lagrange sections 12-15 exist): only then can it set up a zkey. */
  prepared: boolean;
}

export async function readPtauHeader(path: string): Promise<PtauHeader> {
  const bin = await readBinFile(path, "ptau");
  const n8 = bin.header.readUInt32LE(0);
  return {
    power: bin.header.readUInt32LE(4 + n8),
    ceremonyPower: bin.header.readUInt32LE(8 + n8),
    prepared: bin.sections.some((s) => s.type === 12),
  };
}

export interface R1csHeader {
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nConstraints: number;
}

export async function readR1csHeader(path: string): Promise<R1csHeader> {
  const bin = await readBinFile(path, "r1cs");
  const n8 = bin.header.readUInt32LE(0);
  const at = 4 + n8;
  return {
    nVars: bin.header.readUInt32LE(at),
    nOutputs: bin.header.readUInt32LE(at + 4),
    nPubInputs: bin.header.readUInt32LE(at + 8),
    nPrvInputs: bin.header.readUInt32LE(at + 12),
    // nLabels is a u64 at at + 16.
    nConstraints: bin.header.readUInt32LE(at + 24),
  };
}

/**
 * The power of two a Groth16 setup needs for this circuit, the way snarkjs computes it:
 * the bit length of constraints + public inputs + outputs (the smallest p with 2^p above it).
 */
export function requiredPower(r1cs: R1csHeader): number {
  return (r1cs.nConstraints + r1cs.nPubInputs + r1cs.nOutputs).toString(2).length;
}
