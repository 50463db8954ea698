export { createEventTtlController, EVENT_TTL_CONTROLLER } from './controller';
export type { EventTtlOptions } from './controller';
