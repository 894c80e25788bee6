// @ts-gateway/runtime/etcd: a gRPC server registering itself in etcd under a
// lease, in the layout the balancer's `etcd:///` targets watch. Loads etcd3.

export type { EtcdEndpointValue } from "../balancer/etcd-endpoint.js";
export type { EtcdRegistration, EtcdRegistrationOptions } from "./etcd-registration.js";
export { registerInEtcd } from "./etcd-registration.js";
