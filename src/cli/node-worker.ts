/** Entry of one CLI analysis worker (worker_threads): exposes WorkerApi over comlink. */
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createWorkerApi } from '../workers/worker-api.ts';
import { nodePlatform } from './node-platform.ts';

if (!parentPort) throw new Error('node-worker must run in a worker thread');
Comlink.expose(createWorkerApi(nodePlatform), nodeEndpoint(parentPort));
