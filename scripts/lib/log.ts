import { type Logger, pino } from "pino";
import pretty from "pino-pretty";

/** Logger for the project's scripts: pino, printed as readable lines (HUZHU_LOG_FORMAT=json for raw JSON). */
export function scriptLogger(name: string): Logger {
  const level = process.env.LOG_LEVEL ?? "info";
  if (process.env.HUZHU_LOG_FORMAT !== "json") {
    return pino({ name, level }, pretty({ colorize: process.stdout.isTTY, ignore: "pid,hostname", sync: true }));
  }
  return pino({ name, level });
}
