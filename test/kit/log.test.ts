/** The services' logger redacts secrets wherever a line carries them. */
import { describe, expect, it } from "vitest";
import { serviceLogger } from "../../service/kit/log.ts";

describe("service logger", () => {
  it("writes tokens, capabilities, keys, passwords and proofs as [redacted], top-level or one level down", () => {
    const lines: string[] = [];
    const log = serviceLogger("desk", "info", { write: (line: string) => void lines.push(line) });
    log.info(
      {
        token: "s.session-secret",
        capability: "capability-secret",
        req: { headers: { authorization: "Bearer header-secret" } },
        body: { password: "pw-secret", privateKey: "0xkey-secret", proof: { pi_a: ["1"] } },
        plan: "1",
      },
      "request",
    );
    const line = JSON.parse(lines[0] ?? "{}");
    expect(line).toMatchObject({
      name: "desk",
      token: "[redacted]",
      capability: "[redacted]",
      req: { headers: { authorization: "[redacted]" } },
      body: { password: "[redacted]", privateKey: "[redacted]", proof: "[redacted]" },
      plan: "1",
    });
    expect(lines.join("")).not.toMatch(/secret/);
  });
});
