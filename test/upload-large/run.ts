// `npm run test:upload-large`: 1 GiB through multipart into the example's
// client-streaming Upload, through a gateway child process (node:http) in
// front of a real grpc-js backend. Fails unless the backend's SHA-256 and size
// match what was sent and the gateway's RSS stays within 100 MiB of its idle
// level. (A bounded 64 MiB run with a slow backend is in
// test/adversarial/upload-attacks.test.ts.)
import { startUploadBackend, startUploadGateway, streamUpload } from "../support/upload-fixture.js";

const MiB = 1024 * 1024;
const size = Number(process.env.UPLOAD_BYTES ?? 1024 * MiB);
const backend = await startUploadBackend();
const gateway = await startUploadGateway(backend.address);
let failed = false;
try {
  const idle = await gateway.rss();
  let peak = idle;
  const sampler = setInterval(() => {
    void gateway.rss().then(
      (rss) => {
        peak = Math.max(peak, rss);
      },
      () => {},
    );
  }, 250);
  const started = Date.now();
  const result = await streamUpload(`${gateway.url}/v1/uploads`, size).finally(() =>
    clearInterval(sampler),
  );
  const seconds = (Date.now() - started) / 1000;
  const answer = JSON.parse(result.body) as { size: string; sha256: string };
  const growth = (peak - idle) / MiB;
  console.log(
    `${size / MiB} MiB in ${seconds.toFixed(1)} s (${(size / MiB / seconds).toFixed(0)} MiB/s); ` +
      `HTTP ${result.status}; sha256 ${answer.sha256 === result.sha256 ? "matches" : "DIFFERS"}; ` +
      `gateway RSS idle ${(idle / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB (+${growth.toFixed(0)})`,
  );
  if (result.status !== 200 || answer.size !== String(size) || answer.sha256 !== result.sha256) {
    console.error(`upload failed: ${result.body.slice(0, 300)}`);
    failed = true;
  }
  if (growth >= 100) {
    console.error(`gateway RSS grew ${growth.toFixed(0)} MiB (limit 100)`);
    failed = true;
  }
} finally {
  await gateway.kill();
  await backend.close();
}
process.exit(failed ? 1 : 0);
