/** Entry of one browser analysis worker: WorkerApi over comlink. */
import * as Comlink from 'comlink';
import { createWorkerApi } from './worker-api.ts';
import { browserPlatform } from './browser-platform.ts';

Comlink.expose(createWorkerApi(browserPlatform));
