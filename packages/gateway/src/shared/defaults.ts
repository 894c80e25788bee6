// What every layer of the gateway shares. It imports nothing of the gateway.
// The defaults of the `shutdown` section are the runtime's `drainDefaults`.

/** Where the gateway reports what it does (one line each). */
export type Log = (message: string) => void;
