/**
 * Streaming SHA-256 behind one small interface, so the same streaming code hashes in the browser
 * (hash-wasm: WebAssembly, incremental, state save/restore) and in Node (node:crypto: native,
 * SHA-NI where the CPU has it). Hex output equals `sha256sum` and Hugging Face's LFS `oid sha256:`.
 */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** Lower-case hex digest; the hasher cannot be used afterwards. */
  digestHex(): string;
  /** An independent hasher in the same state (used when two identical streams part ways). */
  clone(): Promise<Sha256>;
}

export type Sha256Factory = () => Promise<Sha256>;

/** hash-wasm implementation (browser and workers). */
export async function createWasmSha256(): Promise<Sha256> {
  const { createSHA256 } = await import('hash-wasm');
  const make = async (state?: Uint8Array): Promise<Sha256> => {
    const h = await createSHA256();
    h.init();
    if (state) h.load(state);
    return {
      update: (bytes) => void h.update(bytes),
      digestHex: () => h.digest('hex'),
      clone: () => make(h.save()),
    };
  };
  return make();
}
