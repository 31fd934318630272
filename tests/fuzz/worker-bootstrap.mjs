// Worker threads do not inherit a loader registered with tsx's API: register it here, then load
// the TypeScript worker (same pattern as src/cli/node-worker-bootstrap.mjs).
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
