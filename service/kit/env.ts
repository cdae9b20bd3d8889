/**
 * Configuration from the environment, declared as a TypeBox schema and validated once at boot: a
 * service lists its variables (name, type, default, bounds, what it is for) and `readEnv` turns
 * the raw strings into typed values or throws one error that names the variable and what it must
 * be. The relayer uses it; the claims desk will too.
 */
import { readFileSync } from "node:fs";
import { type Static, type TObject, type TSchema, Type } from "typebox";
import { Value } from "typebox/value";
import { CodedError, type CodedErrorOptions } from "../sdk/coded-error.ts";

/** A whole number from `minimum` to `maximum` (decimal digits only), `fallback` when unset or empty. */
export function envInteger(description: string, fallback: number, minimum: number, maximum: number) {
  return Type.Integer({ description, default: fallback, minimum, maximum });
}

/** A whole number of any size (decimal digits only), `fallback` when unset or empty. */
export function envBigInt(description: string, fallback: bigint) {
  return Type.BigInt({ description, default: fallback });
}

/** Text, `fallback` when unset or empty (undefined for none). */
export function envString(description: string, fallback?: string) {
  return fallback === undefined ? Type.Optional(Type.String({ description })) : Type.String({ description, default: fallback });
}

/** A service's configuration was refused; `message` names the variable and says what it must be. */
export class ConfigError extends CodedError<"CONFIG_INVALID"> {
  constructor(message: string, options: CodedErrorOptions = {}) {
    super("CONFIG_INVALID", message, options);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function decode(name: string, schema: TSchema, raw: string | undefined): unknown {
  const s = schema as { type?: string; default?: unknown; minimum?: number; maximum?: number };
  if (raw === undefined || raw === "") return s.default;
  if (s.type === "integer") {
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Value.Check(schema, value))
      throw new ConfigError(`${name} must be a whole number from ${s.minimum} to ${s.maximum}, got "${raw}"`);
    return value;
  }
  if (s.type === "bigint") {
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
    return BigInt(raw);
  }
  return raw;
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

/** A comma-separated list (origins, hosts) as its trimmed, non-empty entries. */
export function envList(raw: string): string[] {
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
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
