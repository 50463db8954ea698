import { defineStoreConformance } from './conformance';
import { MemoryStore } from './memory';

defineStoreConformance('memory', { open: async () => new MemoryStore() });
