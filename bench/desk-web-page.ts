/**
 * Bundled for the browser by bench/desk-web.ts (esbuild): the desk's member and assessor steps as
 * the web app takes them (the SDK's fileCase, openCaseEnvelope, openCaseFile), timed in the page,
 * exposed as `globalThis.huzhuDeskBench`.
 */
import { assessorKeyFromPrivate } from "../service/sdk/assessor.ts";
import { openCaseEnvelope, openCaseFile } from "../service/sdk/desk/case.ts";
import { DeskClient } from "../service/sdk/desk/client.ts";
import { deriveDeskKey } from "../service/sdk/desk/desk-key.ts";
import { fileCase } from "../service/sdk/desk/flows.ts";
import { importIdentity } from "../service/sdk/identity.ts";
import { AssessorTree } from "../service/sdk/trees.ts";

/** `bytes` random bytes (getRandomValues fills at most 64 KiB a call). */
function randomFile(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65_536) crypto.getRandomValues(out.subarray(at, Math.min(bytes, at + 65_536)));
  return out;
}

/** Files a case with one file of `bytes` random bytes: the whole of fileCase (roster check, encryption, upload), and when its encryption ended. */
async function file(deskUrl: string, identitySecret: string, assessorKey: [string, string], bytes: number) {
  const identity = importIdentity(identitySecret);
  const assessorTree = AssessorTree.from([[BigInt(assessorKey[0]), BigInt(assessorKey[1])]]);
  const evidence = { name: "scan.pdf", type: "application/pdf", bytes: randomFile(bytes) };
  let encrypted = 0;
  const started = performance.now();
  const filed = await fileCase({
    client: new DeskClient(deskUrl),
    identity,
    planId: 1n,
    assessorTree,
    details: { category: "medical", dateOfLoss: "2026-11-20", description: "bench case", amount: 1_000_000n },
    files: [evidence],
    onProgress: (p) => {
      if (p.stage === "encrypt") encrypted = performance.now();
    },
  });
  const ended = performance.now();
  return { caseId: filed.caseId, ms: ended - started, encryptMs: encrypted - started, uploadMs: ended - encrypted };
}

/** Opens a case as its assessor: the download of its file (timed apart), then the decryption (envelope, then the file). */
async function decrypt(deskUrl: string, token: string, privateKey: string, caseId: string) {
  const client = new DeskClient(deskUrl);
  const deskKey = await deriveDeskKey(assessorKeyFromPrivate(privateKey));
  const fetched = performance.now();
  const reply = await client.getCase(caseId, { token });
  const declared = reply.files[0];
  if (!declared) throw new Error("the bench case has no file");
  const sealed = await client.getFile(caseId, 0, declared, { token });
  const started = performance.now();
  const opened = await openCaseEnvelope(reply, deskKey);
  const plaintext = await openCaseFile(opened, 0, sealed);
  const ended = performance.now();
  return { ms: ended - started, downloadMs: started - fetched, bytes: plaintext.length };
}

(globalThis as unknown as { huzhuDeskBench: unknown }).huzhuDeskBench = { file, decrypt };
