import type { Middleware } from "@ts-gateway/runtime";
import { jwtAuth } from "@ts-gateway/runtime/auth";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/**
 * The bench's `jwtAuth`: its key set already in hand (what a cached JWKS is
 * after the first fetch), its verified-token cache on (the load repeats one
 * token, as a client does) unless `BENCH_AUTH_CACHE=0`, and the RS256 token
 * the rows put on every request (the load generators send no custom headers).
 */
export async function benchJwtAuth(): Promise<{ middleware: Middleware; authorization: string }> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256" };
  const token = await new SignJWT({ scope: "bench" })
    .setProtectedHeader({ alg: "RS256", kid: "bench" })
    .setSubject("bench-user")
    .setIssuer("https://issuer.bench")
    .setAudience("bench")
    .setExpirationTime("1d")
    .sign(privateKey);
  const middleware = jwtAuth({
    jwks: { keys: [jwk] },
    algorithms: ["RS256"],
    issuer: "https://issuer.bench",
    audience: "bench",
    ...(process.env.BENCH_AUTH_CACHE === "0" ? { cache: false as const } : {}),
  });
  return { middleware, authorization: `Bearer ${token}` };
}
