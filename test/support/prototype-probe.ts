// Preloaded into the example child by example-process.ts: on SIGUSR2, prints
// the own property names of Object.prototype, so a test can see from outside
// whether a request polluted it. Installs nothing else (no error handlers).
process.on("SIGUSR2", () => {
  const keys = Object.getOwnPropertyNames(Object.prototype).sort();
  process.stdout.write(`PROTO ${JSON.stringify(keys)}\n`);
});
