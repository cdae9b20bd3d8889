/**
 * Serves the member and auditor web app on 127.0.0.1: the Vite build (web/dist), the proving
 * artifacts under content-hashed names with long-lived cache headers (a second visit downloads
 * nothing), and /config.json, the runtime configuration that points the page at a deployment.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fastifyStatic from "@fastify/static";
import Fastify from "fastify";
import { claimArtifacts, productionSetupDir, verificationKeyPath } from "../../service/sdk/node.ts";
import type { RuntimeConfig } from "../../web/src/config.ts";
import { ROOT } from "./paths.ts";

export const WEB_DIST = join(ROOT, "web", "dist");

/** What the server is told; it adds the artifact URLs itself. */
export type WebConfig = Omit<RuntimeConfig, "artifacts">;

export interface WebServer {
  url: string;
  config: RuntimeConfig;
  close(): Promise<void>;
}

interface Artifact {
  url: string;
  type: string;
  body: Buffer;
  gzip: Buffer | undefined;
  etag: string;
}

const HOST = "127.0.0.1";
const IMMUTABLE = "public, max-age=31536000, immutable";

function artifact(path: string, stem: string, ext: string, type: string): Artifact {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  const body = readFileSync(path);
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  const gzip = gzipSync(body, { level: 6 });
  // Only worth it where it saves something (the zkey's field elements hardly compress).
  return {
    url: `/artifacts/${stem}.${hash}.${ext}`,
    type,
    body,
    gzip: gzip.length < body.length * 0.9 ? gzip : undefined,
    etag: `"${hash}"`,
  };
}

export async function serveWeb(options: { port: number; config: WebConfig; dist?: string }): Promise<WebServer> {
  const dist = options.dist ?? WEB_DIST;
  if (!existsSync(join(dist, "index.html"))) throw new Error(`${dist}/index.html is missing: run \`npm run build:web\` first`);
  // The production setup's artifacts when HUZHU_SETUP_DIR names one, else the development build.
  const prover = claimArtifacts();
  const artifacts = {
    wasm: artifact(String(prover.wasm), "claim", "wasm", "application/wasm"),
    zkey: artifact(String(prover.zkey), productionSetupDir() ? "claim" : "claim.dev-insecure", "zkey", "application/octet-stream"),
    verificationKey: artifact(verificationKeyPath(), "verification_key", "json", "application/json"),
  };
  const config: RuntimeConfig = {
    ...options.config,
    artifacts: { wasm: artifacts.wasm.url, zkey: artifacts.zkey.url, verificationKey: artifacts.verificationKey.url },
  };

  const app = Fastify({ logger: false });
  app.addHook("onSend", async (_request, reply) => {
    // The page needs no other origin's scripts; it reads the chain and relayers with fetch.
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
  });
  app.get("/config.json", async (_request, reply) => reply.header("cache-control", "no-cache").send(config));
  // Plans' terms documents shipped with the project (the demo plan's); the hash on chain is what counts.
  app.get<{ Params: { name: string } }>("/terms/:name", async (request, reply) => {
    if (!/^[a-z0-9-]+\.md$/.test(request.params.name)) return reply.code(404).send({ error: "no such terms document" });
    const body = await readFile(join(ROOT, "docs", "plans", request.params.name)).catch(() => undefined);
    if (body === undefined) return reply.code(404).send({ error: "no such terms document" });
    return reply.header("cache-control", "no-cache").type("text/markdown; charset=utf-8").send(body);
  });
  for (const a of Object.values(artifacts)) {
    app.get(a.url, async (request, reply) => {
      reply.header("cache-control", IMMUTABLE).header("etag", a.etag).header("vary", "accept-encoding").type(a.type);
      if (request.headers["if-none-match"] === a.etag) return reply.code(304).send();
      if (a.gzip && /\bgzip\b/.test(request.headers["accept-encoding"] ?? "")) return reply.header("content-encoding", "gzip").send(a.gzip);
      return reply.send(a.body);
    });
  }
  await app.register(fastifyStatic, {
    root: dist,
    preCompressed: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      // Vite puts a content hash in every name under assets/; index.html must be revalidated.
      reply.header("cache-control", path.startsWith(join(dist, "assets")) ? IMMUTABLE : "no-cache");
    },
  });
  const url = await app.listen({ host: HOST, port: options.port });
  return { url, config, close: () => app.close() };
}
