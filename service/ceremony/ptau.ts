/**
 * Checks a Powers of Tau file before a ceremony builds on it: it must be a prepared (phase 2) file,
 * and its blake2b must be the published hash of the Hermez / Perpetual Powers of Tau file of its
 * power, unless the caller explicitly asks for a development setup.
 */
import { basename } from "node:path";
import { readPtauHeader } from "./binfile.ts";
import { CeremonyError, CeremonyErrorCode } from "./errors.ts";
import { blake2bFile } from "./hashing.ts";
import { publishedPtau } from "./ptau-hashes.ts";

export interface PtauCheck {
  power: number;
  blake2b: string;
  /** The published file name it matches, or null (accepted only as a development setup). */
  published: string | null;
}

export async function checkPtau(path: string, options: { dev?: boolean } = {}): Promise<PtauCheck> {
  const file = basename(path);
  let header: Awaited<ReturnType<typeof readPtauHeader>>;
  try {
    header = await readPtauHeader(path);
  } catch (error) {
    throw new CeremonyError(
      CeremonyErrorCode.PtauInvalid,
      `${file} is not a Powers of Tau file: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
  const blake2b = await blake2bFile(path);
  const published = publishedPtau(header.power);
  const matches = published?.blake2b === blake2b;
  if (!matches && !options.dev) {
    const expected = published
      ? `the published hash of ${published.file} is ${published.blake2b}`
      : `no Powers of Tau file of power ${header.power} is published`;
    throw new CeremonyError(
      CeremonyErrorCode.PtauNotPublished,
      `${file} (power ${header.power}) has blake2b ${blake2b}, but ${expected}; ` +
        "start from the published file, or pass --dev for an INSECURE development setup",
      { power: header.power, blake2b },
    );
  }
  if (!header.prepared) {
    throw new CeremonyError(
      CeremonyErrorCode.PtauNotPrepared,
      `${file} is not prepared for phase 2 (\`snarkjs powersoftau prepare phase2\`); the published powersOfTau28_hez_final_NN.ptau files are`,
    );
  }
  return { power: header.power, blake2b, published: matches && published ? published.file : null };
}
