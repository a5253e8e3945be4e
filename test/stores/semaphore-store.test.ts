import { SemaphoreStore } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { semaphoreNamespace } from '../helpers/semaphores.js';

const { namespace, track } = semaphoreNamespace();

runConformance({
  name: 'SemaphoreStore',
  makeStore: () => new SemaphoreStore({ namespace }),
  onResource: track,
  local: true,
});
