import { BlockList, isIPv6 } from "node:net";
import type { GatewayCall } from "../pipeline/pipeline.js";

/**
 * The client's address: the peer's, or, when the peer is a trusted proxy,
 * the rightmost `X-Forwarded-For` entry that is not itself a trusted proxy
 * (so a client cannot choose the address it is counted under by sending the
 * header itself). `trusted` holds addresses and CIDR ranges (`10.0.0.0/8`).
 */
export function clientAddress(call: GatewayCall, trusted: BlockList | undefined): string {
  const peer = plain(call.peer.address ?? "");
  if (trusted === undefined || !isTrusted(trusted, peer)) return peer;
  const header = call.headers["x-forwarded-for"];
  if (header === undefined) return peer;
  const hops = (Array.isArray(header) ? header.join(",") : header).split(",");
  let address = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plain((hops[i] ?? "").trim());
    if (hop === "") break;
    address = hop;
    if (!isTrusted(trusted, hop)) break;
  }
  return address;
}

/** A BlockList of trusted proxies from addresses and CIDR ranges. */
export function trustedProxies(list: readonly string[] | undefined): BlockList | undefined {
  if (list === undefined || list.length === 0) return undefined;
  const blocks = new BlockList();
  for (const entry of list) {
    const [address = "", prefix] = entry.split("/");
    const type = isIPv6(address) ? "ipv6" : "ipv4";
    if (prefix === undefined) blocks.addAddress(address, type);
    else blocks.addSubnet(address, Number(prefix), type);
  }
  return blocks;
}

function isTrusted(blocks: BlockList, address: string): boolean {
  try {
    return blocks.check(address, isIPv6(address) ? "ipv6" : "ipv4");
  } catch {
    return false; // not an address at all
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1`. */
function plain(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
