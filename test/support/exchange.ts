/**
 * One HTTP request or WebSocket on node:http / ws, bounded by a timer that
 * destroys it: the answer, or an error saying why there is none.
 *
 * Not fetch: Node 20's bundled undici (6.x) leaves `response.text()` pending
 * forever when the request's signal aborts after the body arrived but before
 * it was read (nodejs/undici#4089, fixed in undici 7 by #3754). A test that
 * bounds a streaming fetch with a signal can then hang however well the
 * server behaves; test/adversarial/gateway-attacks.test.ts did, in full runs.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { WebSocket } from "ws";

/** A complete HTTP answer. */
export interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The connection closed (refused, reset) before any byte of an answer. */
export class Refused extends Error {}

export interface ExchangeInit {
  method?: string;
  headers?: Record<string, string>;
  /** The whole body; the request ends after it. */
  body?: string;
  /** Written without ending the request: its stream stays open until the answer ends. */
  openBody?: string;
  /** No complete answer within this long is an error. */
  timeoutMs: number;
}

/** Sends one request on its own connection and reads the whole answer. */
export function exchange(url: string, init: ExchangeInit): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      url,
      { method: init.method ?? "GET", headers: init.headers ?? {}, agent: false },
      (res) => {
        answered = true;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        let ended = false;
        res.on("end", () => {
          ended = true;
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on("error", () => {});
        res.on("close", () => {
          if (ended) return;
          clearTimeout(timer);
          reject(new Error(`answer cut short: ${res.statusCode} ${JSON.stringify(body)}`));
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no complete answer within ${init.timeoutMs} ms`));
    }, init.timeoutMs);
    req.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (!answered && (err.code === "ECONNREFUSED" || err.code === "ECONNRESET")) {
        reject(new Refused(`connection closed before an answer (${err.code})`));
      } else {
        reject(err);
      }
    });
    if (init.openBody !== undefined) req.write(init.openBody);
    else req.end(init.body);
  });
}

/** Opens a WebSocket, sends `message` once open (never half-closes), and resolves with its close. */
export function webSocketClose(
  url: string,
  headers: Record<string, string>,
  message: string | undefined,
  timeoutMs: number,
): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no close within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on("error", (err) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    });
    ws.on("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(`upgrade refused: ${res.statusCode}`));
    });
    ws.on("open", () => {
      if (message !== undefined) ws.send(message);
    });
    ws.on("close", (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: String(reason) });
    });
  });
}
