/** The one JSON shape of every service's error replies. */
import { STATUS_CODES } from "node:http";

/**
 * `{ statusCode, code, error, message }`, the reason phrase from node:http's STATUS_CODES, and
 * `reason` when a service refuses because of a more precise SDK error: its code (e.g. the desk's
 * DESK_COMMITTEE_REFUSED for a key set the SDK rejects as COMMITTEE_MALFORMED).
 */
export function errorReply(statusCode: number, code: string, message: string, reason?: string) {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? "Error", message, ...(reason === undefined ? {} : { reason }) };
}
