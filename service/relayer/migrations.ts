/**
 * The claim store's schema, as a list of numbered migrations shared by both stores (the embedded
 * SQLite file and the shared PostgreSQL database), in the service kit's migration format; the
 * kit's runner (service/kit/sql.ts, as for the desk's store) applies them. Each store records the migrations it applied in
 * a `schema_version` table (one row per version, the highest is the store's version), applies the
 * ones it lacks in order, one transaction each, and refuses a store written by a newer relayer.
 *
 * A store written before versioning (the tables exist, `schema_version` does not) is version 1:
 * it is recorded as such, not re-created. Migrations are append-only: a released one is never
 * edited, a change of schema is a new one at the end.
 */

import { type SqlMigration as Migration, schemaVersion } from "../kit/sql.ts";

/** The columns of the claims table as version 1 created them (later columns come from migrations). */
export const CLAIM_COLUMNS = `
  id TEXT PRIMARY KEY,
  nullifier TEXT NOT NULL UNIQUE,
  plan_id TEXT NOT NULL,
  amount TEXT NOT NULL,
  fee TEXT NOT NULL,
  recipient TEXT NOT NULL,
  status TEXT NOT NULL,
  payload TEXT NOT NULL,
  nonce INTEGER,
  transactions TEXT NOT NULL DEFAULT '[]',
  tx_hash TEXT,
  block_number TEXT,
  code TEXT,
  reason TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "claims table and its status index (and, in PostgreSQL, the relayer the database belongs to)",
    statements: [`CREATE TABLE claims (${CLAIM_COLUMNS})`, "CREATE INDEX claims_status ON claims (status, created_at)"],
    postgres: [
      `CREATE TABLE relayer_identity (
         only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
         chain_id BIGINT NOT NULL, pool TEXT NOT NULL, relayer TEXT NOT NULL)`,
    ],
  },
  {
    version: 2,
    description: "held claims (held_until, for claims waiting for pool funds) and replaced proofs (replacements)",
    statements: [
      "ALTER TABLE claims ADD COLUMN held_until BIGINT",
      "ALTER TABLE claims ADD COLUMN replacements INTEGER NOT NULL DEFAULT 0",
    ],
  },
];

/** The newest schema version this relayer knows. */
export const SCHEMA_VERSION: number = schemaVersion({ migrations: MIGRATIONS });
