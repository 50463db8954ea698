export { createWorkQueue } from './queue';
export type { WorkQueue, WorkQueueOptions } from './queue';
export { exponentialRateLimiter } from './rate-limiter';
export type { RateLimiter } from './rate-limiter';
export { createFakeClock, realClock } from './clock';
export type { Clock, FakeClock, TimerHandle } from './clock';
