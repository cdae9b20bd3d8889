/**
 * Configuration from the environment, declared as a TypeBox schema and validated once at boot: a
 * service lists its variables (name, type, default, bounds, pattern or format, what it is for) and
 * `readEnv` turns the raw strings into typed values, each checked against its schema with
 * TypeBox's `Value.Check`, or throws one ConfigError that names the variable and what it must be.
 * The relayer, the claims desk and the tree service use it.
 */
import { readFileSync } from "node:fs";
import { type Static, type TObject, type TSchema, Type } from "typebox";
import { Format } from "typebox/format";
import { Value } from "typebox/value";
import { isAddress } from "viem";
import { CodedError, type CodedErrorOptions } from "../sdk/coded-error.ts";

/** What a refused text variable must be, as its ConfigError says it. */
export interface EnvText {
  /** What the value must be, after "<NAME> must be " ("an http(s) URL"). */
  must: string;
  /** A value of the right form, quoted in the error. */
  example?: string;
  /** The error when the variable is unset (default: "<NAME> must be <must>"). */
  required?: string;
  /** Never quote the value in an error (keys, URLs with passwords). */
  secret?: boolean;
}

/** The format `envAddress` checks beyond its pattern: viem's isAddress (mixed case must be the EIP-55 checksum). */
const ADDRESS_FORMAT = "evm-address";
Format.Set(ADDRESS_FORMAT, (value) => isAddress(value));

/** What an integer or bigint variable's text must be before it is read as a number: decimal digits only. */
const DECIMAL = Type.String({ pattern: "^[0-9]+$" });

/** A whole number from `minimum` to `maximum` (decimal digits only), `fallback` when unset or empty. */
export function envInteger(description: string, fallback: number, minimum: number, maximum: number) {
  return Type.Integer({ description, default: fallback, minimum, maximum });
}

/** A whole number of any size from `minimum` (decimal digits only), `fallback` when unset or empty. */
export function envBigInt(description: string, fallback: bigint, minimum = 0n) {
  return Type.BigInt({ description, default: fallback, minimum });
}

/** Text, `fallback` when unset or empty (undefined for none). */
export function envString(description: string, fallback?: string) {
  return fallback === undefined ? Type.Optional(Type.String({ description })) : Type.String({ description, default: fallback });
}

/** What `envText` checks: a `pattern`, a TypeBox `format` ("url"), or both; required unless `optional`. */
export interface EnvTextRule extends EnvText {
  pattern?: string;
  format?: string;
  optional?: boolean;
}

/** Text its schema checks (pattern, format), refused with a ConfigError saying what it must be. */
export function envText(description: string, rule: EnvTextRule) {
  const { pattern, format, optional, ...refusal } = rule;
  const schema = Type.String({ description, ...(pattern ? { pattern } : {}), ...(format ? { format } : {}), refusal });
  return optional ? Type.Optional(schema) : schema;
}

/** A URL (any scheme), as `URL` parses it. */
export function envUrl(description: string, rule: Omit<EnvTextRule, "format">) {
  return envText(description, { ...rule, format: "url" });
}

/** An http(s) URL (a JSON-RPC endpoint). */
export function envHttpUrl(description: string, text: Omit<EnvText, "must"> = {}) {
  return envUrl(description, { must: "an http(s) URL", ...text, pattern: "^https?://" });
}

/** A postgres:// (or postgresql://) URL; unset for none. Never quoted in errors (it holds a password). */
export function envPostgresUrl(description: string, example: string) {
  return envUrl(description, { must: "a postgres:// URL", example, secret: true, pattern: "^postgres(ql)?://", optional: true });
}

/** A 0x address: 40 hex digits, mixed case only as its EIP-55 checksum. */
export function envAddress(description: string, text: Omit<EnvText, "must"> = {}) {
  return envText(description, { must: "an address", ...text, pattern: "^0x[0-9a-fA-F]{40}$", format: ADDRESS_FORMAT });
}

/** A 0x-prefixed 32-byte hex private key, never quoted in errors. */
export function envPrivateKey(description: string, text: Omit<EnvText, "must" | "secret"> = {}) {
  return envText(description, { must: "a 0x-prefixed 32-byte hex private key", ...text, secret: true, pattern: "^0x[0-9a-fA-F]{64}$" });
}

/** A service's configuration was refused; `message` names the variable and says what it must be. */
export class ConfigError extends CodedError<"CONFIG_INVALID"> {
  constructor(message: string, options: CodedErrorOptions = {}) {
    super("CONFIG_INVALID", message, options);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

interface EnvSchema {
  type?: string;
  default?: unknown;
  minimum?: number | bigint;
  maximum?: number;
  refusal?: EnvText;
}

/** The ConfigError for `raw`, refused by the schema of variable `name`. */
function refused(name: string, schema: EnvSchema, raw: string): ConfigError {
  if (schema.type === "integer")
    return new ConfigError(`${name} must be a whole number from ${schema.minimum} to ${schema.maximum}, got "${raw}"`);
  if (schema.type === "bigint") {
    const from = schema.minimum === undefined || schema.minimum === 0n ? "" : ` of at least ${schema.minimum}`;
    return new ConfigError(`${name} must be a whole number${from}, got "${raw}"`);
  }
  const text = schema.refusal ?? { must: "text" };
  return new ConfigError(`${name} must be ${text.must}${refusalHint(text, raw)}`);
}

/**
 * What follows "must be …": the example, and the value unless it is secret; of a secret, only the
 * scheme of a URL that has one ("user:password@host" parses as the scheme "user:", so it must be
 * followed by "//").
 */
function refusalHint(text: EnvText, raw: string): string {
  if (!text.secret) return `${text.example ? `, e.g. ${text.example}` : ""}, got "${raw}"`;
  if (text.example && URL.canParse(raw) && raw.startsWith(`${new URL(raw).protocol}//`)) return `, got a ${new URL(raw).protocol} URL`;
  return text.example ? `, e.g. ${text.example}` : "";
}

function decode(name: string, schema: TSchema, raw: string | undefined): unknown {
  const s = schema as EnvSchema;
  if (raw === undefined || raw === "") {
    if (s.default !== undefined || Type.IsOptional(schema)) return s.default;
    throw new ConfigError(s.refusal?.required ?? `${name} must be ${s.refusal?.must ?? "set"}`);
  }
  // The environment is text: a number's text must be decimal digits before the schema checks its range.
  const number = s.type === "integer" || s.type === "bigint";
  const value = !number || !Value.Check(DECIMAL, raw) ? raw : s.type === "integer" ? Number(raw) : BigInt(raw);
  if (!Value.Check(schema, value)) throw refused(name, s, raw);
  return value;
}

/** The schema's variables read from `env`: defaults for unset ones, each value checked against its schema. */
export function readEnv<S extends TObject>(schema: S, env: Env): Static<S> {
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
    const value = decode(name, property, env[name]);
    if (value !== undefined) out[name] = value;
  }
  return out as Static<S>;
}

/** Whether `raw` is what `schema` (one of a service's variables, or a part of one) accepts. */
export function envAccepts(schema: TSchema, raw: string): boolean {
  return Value.Check(schema, raw);
}

/** A comma-separated list (origins, hosts) as its trimmed, non-empty entries. */
export function envList(raw: string): string[] {
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** The largest block span of one eth_getLogs request: at least 1 (RPC providers limit it). */
export function envLogChunk() {
  return envBigInt("largest block span of one eth_getLogs request (RPC providers limit it)", 50_000n, 1n);
}

/**
 * The variables naming a service's chain and pool, shared by the relayer and the desk; unset, they
 * come from the deployment record (`withDeploymentDefaults`).
 */
export const ChainEnv = {
  HUZHU_RPC_URL: envHttpUrl("JSON-RPC URL of the chain the pool is on (default: the deployment record's)", {
    required: "HUZHU_RPC_URL is required: the JSON-RPC URL of the chain the pool is on (or HUZHU_DEPLOYMENT, a deployment record)",
  }),
  HUZHU_POOL: envAddress("the pool's address (default: the deployment record's)", {
    required: "HUZHU_POOL (or HUZHU_DEPLOYMENT, a deployment record) is required: the pool's address",
  }),
  HUZHU_FROM_BLOCK: envBigInt("first block to read the pool's events from (default: the deployment record's)", 0n),
};

/** `env` with HUZHU_RPC_URL, HUZHU_POOL and HUZHU_FROM_BLOCK taken from the deployment record where unset. */
export function withDeploymentDefaults(env: Env): Env {
  const deployment = readDeploymentDefaults(env);
  return {
    ...env,
    HUZHU_RPC_URL: env.HUZHU_RPC_URL || deployment.rpcUrl,
    HUZHU_POOL: env.HUZHU_POOL || deployment.pool,
    HUZHU_FROM_BLOCK: env.HUZHU_FROM_BLOCK || (deployment.deployBlock === undefined ? undefined : String(deployment.deployBlock)),
  };
}

/** What a deployment record (HUZHU_DEPLOYMENT, written by `npm run deploy` or `npm start`) gives a service as defaults. */
export interface DeploymentDefaults {
  pool?: string;
  deployBlock?: number;
  rpcUrl?: string;
}

/** The record HUZHU_DEPLOYMENT points at, or none; an unreadable file is a ConfigError naming it. */
export function readDeploymentDefaults(env: Env): DeploymentDefaults {
  if (!env.HUZHU_DEPLOYMENT) return {};
  try {
    return JSON.parse(readFileSync(env.HUZHU_DEPLOYMENT, "utf8")) as DeploymentDefaults;
  } catch (error) {
    throw new ConfigError(`HUZHU_DEPLOYMENT: cannot read ${env.HUZHU_DEPLOYMENT} (${(error as Error).message})`, { cause: error });
  }
}
