// Headless Chromium for the browser tests: Debian's `chromium` (installed by
// .ci/run) driven by playwright-core, every step bounded and the browser's
// process killed by PID when a test is done, whatever state it is in.
import { type Browser, type BrowserServer, chromium } from "playwright-core";
import { tool } from "./tools.js";

const chromiumTool = tool("chromium");

/** Why the browser suites are skipped (`TS_GATEWAY_SKIP=chromium`), or `false`. */
export const browserSkip: string | false = chromiumTool.skip;

/** Upper bound for any one browser step (launch, connect, navigation, a click). */
export const STEP_MS = 20_000;

const flags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  readonly browser: Browser;
  /** Closes the browser (at most 5 s), then SIGKILLs its process. */
  close(): Promise<void>;
}

/** Launches Chromium (`CHROMIUM_PATH` overrides the binary) and connects to it. */
export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = process.env.CHROMIUM_PATH ?? chromiumTool.bin;
  if (executablePath === undefined) throw new Error(`chromium: ${chromiumTool.skip}`);
  const server: BrowserServer = await chromium.launchServer({
    executablePath,
    args: flags,
    headless: true,
    timeout: STEP_MS,
  });
  const pid = server.process().pid;
  const kill = () => {
    try {
      if (pid !== undefined) process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  let browser: Browser;
  try {
    browser = await chromium.connect(server.wsEndpoint(), { timeout: STEP_MS });
  } catch (error) {
    kill();
    throw error;
  }
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        server.close().catch(() => {}),
        new Promise((resolve) => {
          timer = setTimeout(resolve, 5000);
        }),
      ]);
      clearTimeout(timer);
      kill();
    },
  };
}
