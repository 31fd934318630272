/** node:crypto implementation of the streaming SHA-256 interface (CLI, Node workers, tests). */
import { createHash, type Hash } from 'node:crypto';
import type { Sha256 } from './sha256.ts';

function wrap(h: Hash): Sha256 {
  return {
    update: (bytes) => void h.update(bytes),
    digestHex: () => h.digest('hex'),
    clone: () => Promise.resolve(wrap(h.copy())),
  };
}

export function createNodeSha256(): Promise<Sha256> {
  return Promise.resolve(wrap(createHash('sha256')));
}
