/**
 * Member identities are Semaphore v4 identities, used unchanged: an identity created with
 * `@semaphore-protocol/identity` directly works here, and the reverse.
 */
import { Identity } from "@semaphore-protocol/identity";
import { BABYJUBJUB_SUBORDER } from "./constants.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";

export { Identity };

/** A new identity from the platform's CSPRNG. */
export function createIdentity(): Identity {
  return new Identity();
}

/** Restores an identity from its exported private key (base64, as `Identity.export()` writes it). */
export function importIdentity(exported: string): Identity {
  let identity: Identity;
  try {
    identity = Identity.import(exported.trim());
  } catch (error) {
    throw new HuzhuError(ErrorCode.InvalidSecret, "not an exported Semaphore identity (expected base64 private key)", {}, { cause: error });
  }
  // Semaphore decodes base64 leniently: a mistyped export would silently become another identity.
  if (identity.export() !== exported.trim()) {
    throw new HuzhuError(
      ErrorCode.InvalidSecret,
      "not an exported Semaphore identity: the text is not exact base64 of a private key (check for typos)",
    );
  }
  if (identity.secretScalar >= BABYJUBJUB_SUBORDER) {
    throw new HuzhuError(ErrorCode.InvalidSecret, "identity secret is not below the BabyJubjub subgroup order");
  }
  return identity;
}
