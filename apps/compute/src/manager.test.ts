import { randomUUID } from 'node:crypto';
import { MemoryComputeStore } from './testing/memory-store.test-helper.js';
import { defineManagerSuite } from './testing/manager-suite.test-helper.js';

// One store for the file, as the PGlite suite shares one database: each test is its own host.
const store = new MemoryComputeStore();
defineManagerSuite('in-memory store', () => ({
  store,
  addInstance: (fields) => store.addInstance({ uuid: randomUUID(), ...fields }),
  faults: async (uuid) => store.faults.filter((fault) => fault.instance_uuid === uuid),
}));
