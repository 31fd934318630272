// Worker threads do not inherit a loader registered with tsx's API: register it here, then load
// the TypeScript entry.
import { register } from 'tsx/esm/api';
register();
await import('./node-worker.ts');
