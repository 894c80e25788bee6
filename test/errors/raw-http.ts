// A node:http client for what fetch forbids: hop-by-hop request headers
// (Connection, Keep-Alive, TE, Upgrade) and reading HTTP trailers.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";

/** An answer with its raw headers and trailers. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: Record<string, string | undefined>;
  text: string;
  json: unknown;
}

/** Sends one request over a fresh connection and reads the whole answer. */
export function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init.method ?? "GET", headers: init.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            trailers: { ...res.trailers },
            text,
            json,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}
