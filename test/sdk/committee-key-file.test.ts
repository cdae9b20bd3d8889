import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAssessorPublicKey } from "../../service/cli/lib/assessor-key.ts";
import {
  type CommitteeShare,
  committeePublicKey,
  insecureDealerCommittee,
  openCommitteeKey,
  parseCommitteeKeyFile,
  sealCommitteeKey,
} from "../../service/sdk/committee/index.ts";
import { ErrorCode } from "../../service/sdk/index.ts";

// A low scrypt cost keeps these tests fast; sealSecret's default (2^17) is tested with keystores.
const FAST = { N: 2 ** 10 };

describe("committee key file", () => {
  const shares = insecureDealerCommittee({ threshold: 2, size: 3 });
  const share = shares[1] as CommitteeShare;

  it("seals the member's share and opens it again with the password", async () => {
    const file = JSON.parse(JSON.stringify(await sealCommitteeKey(share, "pw", FAST)));
    expect(file).toMatchObject({ kind: "huzhu-committee-key", version: 1, member: 2, publicKey: share.keySet.publicKey });
    expect(JSON.stringify(file)).not.toContain(share.signingShare);
    expect(await openCommitteeKey(file, "pw")).toEqual(share);
  });

  it("refuses a wrong password, and a file relabelled as another member (WRONG_PASSWORD)", async () => {
    const file = await sealCommitteeKey(share, "pw", FAST);
    await expect(openCommitteeKey(file, "not it")).rejects.toMatchObject({ code: ErrorCode.WrongPassword });
    await expect(openCommitteeKey({ ...file, member: 3 }, "pw")).rejects.toMatchObject({ code: ErrorCode.WrongPassword });
  });

  it("refuses a file whose key set or group key was altered (COMMITTEE_INVALID_KEY_FILE)", async () => {
    const file = await sealCommitteeKey(share, "pw", FAST);
    const other = (insecureDealerCommittee({ threshold: 2, size: 3 })[0] as CommitteeShare).keySet;
    expect(() => parseCommitteeKeyFile({ ...file, publicKey: other.publicKey })).toThrow(
      expect.objectContaining({ code: ErrorCode.CommitteeInvalidKeyFile }),
    );
    expect(() => parseCommitteeKeyFile({ ...file, keySet: { ...file.keySet, threshold: 3 } })).toThrow(
      expect.objectContaining({ code: ErrorCode.CommitteeInvalidKeyFile }),
    );
    expect(() => parseCommitteeKeyFile({ ...file, member: 4 })).toThrow(
      expect.objectContaining({ code: ErrorCode.CommitteeInvalidKeyFile }),
    );
    expect(() => parseCommitteeKeyFile({ ...file, kind: "huzhu-assessor-key" })).toThrow(
      expect.objectContaining({ code: ErrorCode.CommitteeInvalidKeyFile }),
    );
  });

  it("will not seal a share of another key set", async () => {
    const other = insecureDealerCommittee({ threshold: 2, size: 3 })[1] as CommitteeShare;
    await expect(sealCommitteeKey({ ...share, signingShare: other.signingShare }, "pw", FAST)).rejects.toMatchObject({
      code: ErrorCode.CommitteeWrongKeySet,
    });
  });

  it("holds the group key where `huzhu assessor add --key` reads an assessor's public key", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "huzhu-committee-")), "committee-key.json");
    writeFileSync(path, JSON.stringify(await sealCommitteeKey(share, "pw", FAST)));
    expect(await readAssessorPublicKey(path)).toEqual(committeePublicKey(share.keySet));
  });
});
