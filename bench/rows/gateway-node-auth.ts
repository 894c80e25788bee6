import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { jwtAuth } from "@ts-gateway/runtime/auth";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/**
 * `gateway-node` behind `jwtAuth` with its key set already in hand (what a
 * cached JWKS is after the first fetch) and its verified-token cache (the
 * load repeats one token, as a client does); `BENCH_AUTH_CACHE=0` turns the
 * cache off, so every request verifies the RS256 signature. The load
 * generators send no custom headers, so the row puts the `Authorization`
 * header on each request before the mux sees it.
 */
export async function createRow(backend: string): Promise<RequestListener> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256" };
  const token = await new SignJWT({ scope: "bench" })
    .setProtectedHeader({ alg: "RS256", kid: "bench" })
    .setSubject("bench-user")
    .setIssuer("https://issuer.bench")
    .setAudience("bench")
    .setExpirationTime("1d")
    .sign(privateKey);
  const mux = new Mux();
  registerBenchService(mux, new BenchServiceClient(backend, credentials.createInsecure()));
  mux.use(
    jwtAuth({
      jwks: { keys: [jwk] },
      algorithms: ["RS256"],
      issuer: "https://issuer.bench",
      audience: "bench",
      ...(process.env.BENCH_AUTH_CACHE === "0" ? { cache: false as const } : {}),
    }),
  );
  const authorization = `Bearer ${token}`;
  return (req, res) => {
    req.headers.authorization = authorization;
    mux.handle(req, res);
  };
}
