// Clients for the edge-policy tests: one HTTP exchange, one WebSocket session.
import { request as httpRequest } from "node:http";
import { WebSocket } from "ws";

/** A client's view of one exchange. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body as JSON, when it parses. */
  json: unknown;
  /** WebSocket only: text frames received and the close code. */
  frames?: string[];
  closeCode?: number;
  closeReason?: string;
}

/** One HTTP request with node:http (no header rewriting, HEAD and OPTIONS as sent). */
export function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init.method ?? "GET", headers: init.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: flat(res.headers), body, json });
        });
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

function flat(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
}

/** Opens a WebSocket, sends `send` once open, and collects frames until it closes (or the upgrade is refused). */
export function ws(
  url: string,
  send: string[],
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const frames: string[] = [];
    let upgradeHeaders: Record<string, string> = {};
    socket.on("upgrade", (res) => {
      upgradeHeaders = flat(res.headers);
    });
    socket.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: flat(res.headers), body, json });
      });
      res.on("error", reject);
    });
    socket.on("open", () => {
      for (const frame of send) socket.send(frame);
    });
    socket.on("message", (data) => frames.push(String(data)));
    socket.on("close", (code, reason) =>
      resolve({
        status: 101,
        headers: upgradeHeaders,
        body: "",
        json: undefined,
        frames,
        closeCode: code,
        closeReason: reason.toString(),
      }),
    );
    socket.on("error", () => {});
  });
}

/** The `@type`s of a google.rpc.Status body's details. */
export function detailTypes(json: unknown): string[] {
  const details = (json as { details?: Array<{ "@type": string }> } | undefined)?.details ?? [];
  return details.map((d) => d["@type"]);
}
