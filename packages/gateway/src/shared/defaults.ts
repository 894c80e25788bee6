// What every layer of the gateway shares: the log function and the defaults of
// the config keys more than one layer reads. It imports nothing of the gateway.

/** Where the gateway reports what it does (one line each). */
export type Log = (message: string) => void;

/** Defaults of the `shutdown` section. */
export const defaultDrainDelayMs = 5000;
export const defaultGracePeriodMs = 20_000;
