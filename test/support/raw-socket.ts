// Raw TCP for what no HTTP or WebSocket client sends: malformed frames,
// dribbled headers, half-sent bodies. Every wait is bounded.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/** A raw connection collecting what it receives. */
export interface RawConnection {
  readonly socket: Socket;
  /** Bytes received so far. */
  received(): Buffer;
  /** Resolves true once the server closed the connection, false after `timeoutMs`. */
  closed(timeoutMs: number): Promise<boolean>;
  /** Resolves once `predicate(received)` holds, or false after `timeoutMs`. */
  until(predicate: (data: Buffer) => boolean, timeoutMs: number): Promise<boolean>;
}

export async function rawConnect(port: number): Promise<RawConnection> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {}); // resets are expected here
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let data = Buffer.alloc(0);
  let isClosed = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  socket.on("data", (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
    wake();
  });
  socket.on("close", () => {
    isClosed = true;
    wake();
  });
  const until = (predicate: () => boolean, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      if (predicate()) return resolve(true);
      const check = () => {
        if (!predicate()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (value: boolean) => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(value);
      };
      waiters.add(check);
    });
  return {
    socket,
    received: () => data,
    closed: (timeoutMs) => until(() => isClosed, timeoutMs),
    until: (predicate, timeoutMs) => until(() => predicate(data), timeoutMs),
  };
}

/** The head of an HTTP answer: status and lower-cased headers, and the body after it. */
export function parseHttp(
  data: Buffer,
): { status: number; headers: Record<string, string>; body: string } | undefined {
  const text = data.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: text.slice(end + 4) };
}

/** Opens a WebSocket by hand and returns the connection after the 101 (or undefined if refused). */
export async function rawWebSocket(port: number, path: string): Promise<RawConnection | undefined> {
  const conn = await rawConnect(port);
  conn.socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const ok = await conn.until((d) => d.includes("\r\n\r\n"), 3000);
  if (!ok || parseHttp(conn.received())?.status !== 101) {
    conn.socket.destroy();
    return undefined;
  }
  return conn;
}

/** One WebSocket frame; `length` may claim more than `payload` holds. */
export function wsFrame(init: {
  opcode: number;
  payload?: Buffer;
  fin?: boolean;
  masked?: boolean;
  rsv?: number;
  length?: number;
}): Buffer {
  const payload = init.payload ?? Buffer.alloc(0);
  const length = init.length ?? payload.length;
  const masked = init.masked ?? true;
  const head: number[] = [((init.fin ?? true) ? 0x80 : 0) | ((init.rsv ?? 0) << 4) | init.opcode];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** The close code of the first close frame in server data after the 101, if any. */
export function closeCodeOf(data: Buffer): number | undefined {
  const start = data.indexOf("\r\n\r\n");
  let i = start === -1 ? 0 : start + 4;
  while (i + 2 <= data.length) {
    const opcode = (data[i] as number) & 0x0f;
    let len = (data[i + 1] as number) & 0x7f;
    let off = i + 2;
    if (len === 126) {
      len = data.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      len = Number(data.readBigUInt64BE(off));
      off += 8;
    }
    if (opcode === 0x8) return len >= 2 ? data.readUInt16BE(off) : 1005;
    i = off + len;
  }
  return undefined;
}

/** A POST whose body trickles one byte per `intervalMs` until the server closes the connection. */
export interface Trickle {
  readonly conn: RawConnection;
  /** Ms from the first body byte until the server closed the connection; undefined if it did not within `timeoutMs`. */
  closedAfter(timeoutMs: number): Promise<number | undefined>;
}

export async function trickle(
  port: number,
  path: string,
  contentLength: number,
  intervalMs: number,
): Promise<Trickle> {
  const conn = await rawConnect(port);
  conn.socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n{`,
  );
  const started = Date.now();
  const dribble = setInterval(() => {
    if (conn.socket.destroyed || !conn.socket.writable) clearInterval(dribble);
    else conn.socket.write(" ");
  }, intervalMs);
  return {
    conn,
    async closedAfter(timeoutMs) {
      const closed = await conn.closed(timeoutMs);
      clearInterval(dribble);
      if (!closed) {
        conn.socket.destroy();
        return undefined;
      }
      return Date.now() - started;
    },
  };
}
