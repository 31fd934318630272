/**
 * Digests and signatures of exported reports (case reports and custody-log exports): see
 * case-types.ts for what they cover and mean. WebCrypto only, so the same code signs in the
 * browser (with the analyst's non-extractable key from IndexedDB) and verifies anywhere.
 */
import { canonicalJson } from '../evidence/canonical-json.ts';
import { base64ToBytes, bytesToBase64, utf8 } from '../evidence/encoding.ts';
import { sha256Hex } from '../evidence/sha256-sync.ts';
import type { IntegritySignature, ReportIntegrity } from './case-types.ts';

export const DIGEST_COVERS = 'SHA-256 of the RFC 8785 canonical JSON of this document without its "integrity" member';

/** The bytes a digest and a signature cover: the canonical JSON without `integrity`. */
export function signedBytes(doc: { integrity?: unknown }): Uint8Array<ArrayBuffer> {
  const { integrity: _omit, ...rest } = doc;
  return utf8(canonicalJson(rest));
}

export function documentDigest(doc: { integrity?: unknown }): string {
  return sha256Hex(signedBytes(doc));
}

/** A signer: the analyst's key pair (private key non-extractable) and who they are. */
export interface ReportSigner {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  name?: string;
}

export async function publicKeyDescription(publicKey: CryptoKey): Promise<IntegritySignature['publicKey']> {
  const jwk = await crypto.subtle.exportKey('jwk', publicKey);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.x === undefined || jwk.y === undefined) throw new Error('The analyst key is not an EC P-256 key');
  return { jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, spki: bytesToBase64(spki), fingerprint: sha256Hex(spki) };
}

/** Returns `doc` with its `integrity` member (digest, and a signature when a signer is given). */
export async function sealDocument<T extends { integrity?: ReportIntegrity }>(doc: T, options: { signer?: ReportSigner; now?: string } = {}): Promise<T> {
  const { integrity: _old, ...rest } = doc;
  const bytes = signedBytes(rest);
  const integrity: ReportIntegrity = { digest: { algorithm: 'sha256', canonicalization: 'RFC8785-JCS', covers: DIGEST_COVERS, value: sha256Hex(bytes) } };
  if (options.signer) {
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, options.signer.privateKey, bytes));
    integrity.signature = {
      algorithm: 'ECDSA-P256-SHA256',
      format: 'ieee-p1363',
      value: bytesToBase64(sig),
      publicKey: await publicKeyDescription(options.signer.publicKey),
      ...(options.signer.name ? { signer: options.signer.name } : {}),
      signedAt: options.now ?? new Date().toISOString(),
    };
  }
  return { ...rest, integrity } as T;
}

export type DigestStatus = 'valid' | 'invalid' | 'absent';
export type SignatureStatus = 'valid' | 'invalid' | 'absent';

export interface IntegrityCheck {
  digest: DigestStatus;
  /** The digest recomputed from the content. */
  computed: string;
  recorded?: string;
  signature: SignatureStatus;
  keyFingerprint?: string;
  signer?: string;
  signedAt?: string;
  /** Why a signature is invalid (malformed key, wrong length …) when it is not just "does not verify". */
  signatureProblem?: string;
}

export async function checkDocumentIntegrity(doc: { integrity?: unknown }): Promise<IntegrityCheck> {
  const bytes = signedBytes(doc);
  const computed = sha256Hex(bytes);
  const integrity = doc.integrity as Partial<ReportIntegrity> | undefined;
  if (integrity === undefined || typeof integrity !== 'object' || integrity === null) return { digest: 'absent', computed, signature: 'absent' };
  const recorded = integrity.digest?.value;
  const out: IntegrityCheck = { digest: recorded === undefined ? 'absent' : recorded === computed ? 'valid' : 'invalid', computed, signature: 'absent', ...(recorded === undefined ? {} : { recorded }) };
  const sig = integrity.signature;
  if (sig === undefined) return out;
  out.keyFingerprint = sig.publicKey?.fingerprint;
  if (sig.signer !== undefined) out.signer = sig.signer;
  if (sig.signedAt !== undefined) out.signedAt = sig.signedAt;
  try {
    const spki = base64ToBytes(sig.publicKey.spki);
    out.keyFingerprint = sha256Hex(spki);
    const key = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const jwkKey = await crypto.subtle.importKey('jwk', { ...sig.publicKey.jwk, ext: true }, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    // The JWK and the SPKI must be the same key: a reader may look at either.
    const jwkSpki = new Uint8Array(await crypto.subtle.exportKey('spki', jwkKey));
    if (sha256Hex(jwkSpki) !== out.keyFingerprint) {
      out.signature = 'invalid';
      out.signatureProblem = 'the JWK and the SPKI of the public key are different keys';
      return out;
    }
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, base64ToBytes(sig.value), bytes);
    out.signature = ok ? 'valid' : 'invalid';
  } catch (e) {
    out.signature = 'invalid';
    out.signatureProblem = e instanceof Error ? e.message : String(e);
  }
  return out;
}
