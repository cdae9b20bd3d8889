/** The one JSON shape of every service's error replies. */
import { STATUS_CODES } from "node:http";

/** `{ statusCode, code, error, message }`, the reason phrase from node:http's STATUS_CODES. */
export function errorReply(statusCode: number, code: string, message: string) {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? "Error", message };
}
