/**
 * An AbortSignal that aborts after `ms`, held by its own timer.
 *
 * Node's `AbortSignal.timeout()` keeps its timer only while the signal is
 * reachable or has a strong abort listener, and its timer is cleared when the
 * signal is collected. The adversarial suite once waited for over 20 minutes
 * on a fetch bounded that way (on a machine under heavy load); with this
 * signal the bound holds however the request holds its signal.
 */
export function deadlineSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms).unref();
  return controller.signal;
}
