#!/usr/bin/env node
// model-sleuth CLI entry: runs the TypeScript sources through tsx (no build step needed after
// `npm install`).
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
