export {
  createGarbageCollector,
  GARBAGE_COLLECTOR,
  FINALIZER_FOREGROUND,
  FINALIZER_ORPHAN,
} from './controller';
export type { GarbageCollectorOptions } from './controller';
