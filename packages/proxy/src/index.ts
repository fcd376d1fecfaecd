export { controlHeaders } from './cache-control.js';
export { outcomeHeaders } from './chat-route.js';
export type { SemcacheProxy } from './create-proxy.js';
export { createProxy } from './create-proxy.js';
export type { CacheOutcome, LatencyView, ProxyStats } from './proxy-metrics.js';
export type { ProxyOptions } from './proxy-options.js';
export { proxyDefaults } from './proxy-options.js';
export type { RunningProxy } from './start-proxy.js';
export { startProxy } from './start-proxy.js';
