// Every backend createPermitStore() knows, in the order they are tried. A backend folder
// that has a permit store exports its PermitBackend from its backend.ts; add it here.
import type { PermitBackend } from './backend.js';
import { sysvPermitBackend } from './local/backend.js';
import { lockPermitBackend } from './lock-permits.js';
import { redisPermitBackend } from './redis/backend.js';

export type { PermitBackend } from './backend.js';

export const PERMIT_BACKENDS: readonly PermitBackend[] = [sysvPermitBackend, lockPermitBackend, redisPermitBackend];
