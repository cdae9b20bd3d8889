/** The parts of snarkjs 0.7 the project uses (the package ships no types). */
declare module "snarkjs" {
  export type FileInput = string | { type: "mem"; data?: Uint8Array };
  export interface SnarkLogger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }
  export interface Groth16ProofJson {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export interface Curve {
    terminate(): Promise<void>;
  }
  export const curves: { getCurveFromName(name: string, singleThread?: boolean): Promise<Curve> };
  export const powersOfTau: {
    newAccumulator(curve: Curve, power: number, fileName: string, logger?: SnarkLogger): Promise<unknown>;
    beacon(
      oldPtau: string,
      newPtau: string,
      name: string,
      beaconHash: string,
      numIterationsExp: number,
      logger?: SnarkLogger,
    ): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: SnarkLogger): Promise<unknown>;
    /** Returns the contribution hash (blake2b-512). */
    contribute(oldPtau: string, newPtau: string, name: string, entropy: string, logger?: SnarkLogger): Promise<Uint8Array>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: FileInput, logger?: SnarkLogger): Promise<unknown>;
    beacon(
      oldZkey: string,
      newZkey: string,
      name: string,
      beaconHash: string,
      numIterationsExp: number,
      logger?: SnarkLogger,
    ): Promise<unknown>;
    exportVerificationKey(zkey: FileInput, logger?: SnarkLogger): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkey: FileInput, templates: Record<string, string>, logger?: SnarkLogger): Promise<string>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: SnarkLogger): Promise<boolean>;
    /** Returns the contribution hash (blake2b-512); mixes OS randomness with `entropy`. */
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: SnarkLogger): Promise<Uint8Array>;
  };
  export const wtns: {
    calculate(input: Record<string, unknown>, wasm: FileInput, wtns: FileInput): Promise<void>;
    check(r1cs: string, wtns: FileInput, logger?: SnarkLogger): Promise<boolean>;
    exportJson(wtns: FileInput): Promise<bigint[]>;
  };
  export const groth16: {
    prove(zkey: FileInput, wtns: FileInput, logger?: SnarkLogger): Promise<{ proof: Groth16ProofJson; publicSignals: string[] }>;
    fullProve(
      input: Record<string, unknown>,
      wasm: FileInput,
      zkey: FileInput,
      logger?: SnarkLogger,
    ): Promise<{ proof: Groth16ProofJson; publicSignals: string[] }>;
    verify(vkey: Record<string, unknown>, publicSignals: string[], proof: unknown, logger?: SnarkLogger): Promise<boolean>;
  };
}
