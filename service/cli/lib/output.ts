/**
 * The one place the CLI prints: results to stdout (human text, or JSON with `--json`), progress,
 * notes and warnings to stderr, so `huzhu … --json | jq` always reads clean JSON.
 */

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

export class Output {
  readonly json: boolean;

  constructor(json: boolean) {
    this.json = json;
  }

  /** The command's result: `data` as JSON with --json, otherwise the human text. */
  result(data: unknown, human: string | (() => string)): void {
    if (this.json) process.stdout.write(`${toJson(data)}\n`);
    else process.stdout.write(`${typeof human === "function" ? human() : human}\n`);
  }

  /** A progress or status note (stderr). */
  note(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
  }

  /** Prints a failure: `error: …` on stderr, and a JSON error object on stdout with --json. */
  error(code: string, message: string, hint?: string): void {
    process.stderr.write(`error: ${message}\n`);
    if (hint) process.stderr.write(`hint: ${hint}\n`);
    if (this.json) process.stdout.write(`${toJson({ error: { code, message, ...(hint ? { hint } : {}) } })}\n`);
  }
}

/** Aligns rows of cells into columns (first row is the header). */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell));
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - displayWidth(cell))))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Terminal columns a string takes: CJK characters (plan names may be Chinese) take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text)
    width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return width;
}

/** `key: value` lines with aligned values. */
export function keyValues(entries: Array<[string, string]>): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join("\n");
}
