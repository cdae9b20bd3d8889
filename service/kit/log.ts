/**
 * The pino logger of every service, with one redaction list: whatever a line was given, bearer
 * tokens, keys, capabilities, passwords and proofs are written as "[redacted]". Request lines carry
 * no client address in the first place (service/kit/http-app.ts).
 */
import { type DestinationStream, pino } from "pino";

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "headers.authorization",
  "authorization",
  "*.authorization",
  "privateKey",
  "*.privateKey",
  "capability",
  "*.capability",
  "token",
  "*.token",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "proof",
  "*.proof",
];

/** A service's logger; `destination` lets `npm start` print readable lines. */
export function serviceLogger(name: string, level: string, destination?: DestinationStream) {
  const options = { name, level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  return destination ? pino(options, destination) : pino(options);
}
