/**
 * The IPC protocol between bench/run.ts and the processes it starts: a child
 * announces its port once listening, and answers usage queries with its own
 * CPU time and peak RSS (so the numbers are the server's, not the driver's).
 */

/** A child's CPU time (µs, user + system) and peak resident set size (KiB). */
export interface Usage {
  readonly cpuMicros: number;
  readonly maxRssKiB: number;
}

/** What a child sends over IPC. */
export type ChildMessage = { type: "ready"; port: number } | ({ type: "usage" } & Usage);

/** Tells the parent the port, then answers `"usage"` queries until the parent goes away. */
export function announce(port: number): void {
  const send = process.send?.bind(process);
  if (send === undefined) {
    console.log(`listening on 127.0.0.1:${port}`);
    return;
  }
  process.on("message", (message: unknown) => {
    if (message === "usage") {
      const cpu = process.cpuUsage();
      send({
        type: "usage",
        cpuMicros: cpu.user + cpu.system,
        maxRssKiB: process.resourceUsage().maxRSS,
      } satisfies ChildMessage);
    }
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", port } satisfies ChildMessage);
}
