/**
 * Offline verification of a DSSE envelope's ECDSA signature with a key or certificate the user
 * supplies (what model_signing's `verify key` and `verify certificate` check first), with WebCrypto
 * — the same code in the browser and in Node ≥ 20.
 *
 * DSSE v1 (secure-systems-lab/dsse protocol.md): the signature covers
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 * with LEN the ASCII decimal byte length. model_signing signs with ECDSA and the hash that matches
 * the curve (P-256 → SHA-256, P-384 → SHA-384, P-521 → SHA-512: sign_ec_key.get_ec_key_hash) and
 * writes the DER ECDSA-Sig-Value. Its pre-1.0 "pae_compat" encoding is accepted as model_signing
 * itself still accepts it (see paeCompat).
 *
 * Honesty about certificates: with a certificate, only the signature by the certificate's key is
 * checked. The chain to a trusted root, the validity period at signing time, key usage and any
 * Sigstore transparency-log (Rekor) entry are NOT checked offline, and the result says so.
 */
import { bytesEqual, bytesToBase64, decodeUtf8, ownBytes, utf8 } from '../encoding.ts';
import { EvidenceError } from '../errors.ts';
import { sha256Hex } from '../sha256-sync.ts';
import { ecdsaSignatureToP1363, parseCertificate, parsePem, parseSpki, spkiToPem, type CertificateInfo, type EcCurve, type SpkiInfo } from './der.ts';

export interface VerificationKey {
  kind: 'public-key' | 'certificate';
  spki: SpkiInfo;
  certificate?: CertificateInfo;
  /** SHA-256 of the SubjectPublicKeyInfo DER (hex). */
  fingerprint: string;
}

/** Reads a PEM public key or certificate, a DER one, or an EC JWK (JSON). */
export function readVerificationKey(input: Uint8Array | string): VerificationKey {
  const text = typeof input === 'string' ? input : tryText(input);
  if (text !== undefined && text.includes('-----BEGIN')) {
    const blocks = parsePem(text);
    const cert = blocks.find((b) => b.label === 'CERTIFICATE');
    if (cert) return fromCertificate(parseCertificate(cert.der));
    const key = blocks.find((b) => b.label === 'PUBLIC KEY');
    if (key) return fromSpki(parseSpki(key.der));
    if (blocks.some((b) => /PRIVATE KEY/.test(b.label))) throw new EvidenceError('key_unreadable', 'This is a private key. Supply the public key (or certificate); a private key must never leave its owner.');
    throw new EvidenceError('key_unreadable', `No PUBLIC KEY or CERTIFICATE block in the PEM file (found: ${blocks.map((b) => b.label).join(', ') || 'none'})`);
  }
  if (text !== undefined && text.trimStart().startsWith('{')) {
    throw new EvidenceError('key_unreadable', 'JSON (JWK) keys are not read here; supply the public key as PEM (-----BEGIN PUBLIC KEY-----) or a PEM certificate');
  }
  const der = typeof input === 'string' ? utf8(input) : input;
  try {
    return fromCertificate(parseCertificate(der));
  } catch {
    return fromSpki(parseSpki(der));
  }
}

function tryText(bytes: Uint8Array): string | undefined {
  try {
    return decodeUtf8(bytes);
  } catch {
    return undefined;
  }
}

function fromSpki(spki: SpkiInfo): VerificationKey {
  return { kind: 'public-key', spki, fingerprint: sha256Hex(spki.der) };
}

function fromCertificate(cert: CertificateInfo): VerificationKey {
  return { kind: 'certificate', spki: cert.spki, certificate: cert, fingerprint: sha256Hex(cert.spki.der) };
}

export function hashForCurve(curve: EcCurve): 'SHA-256' | 'SHA-384' | 'SHA-512' {
  return curve === 'P-256' ? 'SHA-256' : curve === 'P-384' ? 'SHA-384' : 'SHA-512';
}

export async function importVerificationKey(spki: SpkiInfo): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('spki', spki.der, { name: 'ECDSA', namedCurve: spki.curve }, true, ['verify']);
  } catch (e) {
    throw new EvidenceError('key_unsupported', `The ${spki.curve} public key could not be imported: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** DSSE v1 pre-authentication encoding. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const type = utf8(payloadType);
  const head = utf8(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/**
 * model_signing v0.2's PAE (sign_sigstore_pb.pae_compat): "DSSEV1 <len> <type> <len> <repr(bytes)>",
 * a Python bytes repr where the payload should be — a bug its verifiers still accept, so signatures
 * made with v0.2 keep verifying. Reproduced exactly (CPython bytes_repr).
 */
export function paeCompat(payloadType: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  let quote = "'";
  if (payload.includes(0x27) && !payload.includes(0x22)) quote = '"';
  let repr = `b${quote}`;
  for (const c of payload) {
    const ch = String.fromCharCode(c);
    if (ch === quote || c === 0x5c) repr += `\\${ch}`;
    else if (c === 0x09) repr += '\\t';
    else if (c === 0x0a) repr += '\\n';
    else if (c === 0x0d) repr += '\\r';
    else if (c < 0x20 || c >= 0x7f) repr += `\\x${c.toString(16).padStart(2, '0')}`;
    else repr += ch;
  }
  repr += quote;
  return utf8(`DSSEV1 ${utf8(payloadType).length} ${payloadType} ${payload.length} ${repr}`);
}

/** model_signing's key hint: SHA-256 of the key's PEM text as Python's cryptography writes it. */
export function publicKeyHint(spki: SpkiInfo): string {
  return sha256Hex(spkiToPem(spki.der, bytesToBase64));
}

export type SignatureStatus = 'verified' | 'failed' | 'not-checked' | 'unsupported';

export interface SignatureCheck {
  status: SignatureStatus;
  method: 'public-key' | 'certificate' | 'none';
  curve?: EcCurve;
  /** SHA-256 of the verifying key's SubjectPublicKeyInfo. */
  keyFingerprint?: string;
  certificateSubject?: string;
  message: string;
  /** What was not checked (always stated for certificates). */
  caveats: string[];
}

export interface DsseEnvelopeData {
  payloadType: string;
  payload: Uint8Array;
  signatures: { sig: Uint8Array; keyid: string }[];
}

export interface BundleKeyMaterial {
  publicKeyHint?: string;
  /** DER certificates, leaf first. */
  certificates: Uint8Array[];
  tlogEntries: number;
}

export const CERTIFICATE_CAVEAT =
  'Only the signature by the certificate’s key was checked. The certificate chain to a trusted root, its validity period at signing time, its key usage and any transparency-log (Rekor) entry were NOT checked offline.';

/**
 * Verifies the envelope's signatures with the supplied key: verified when any signature verifies.
 * With a certificate, the bundle's own leaf certificate (if it has one) must be that certificate.
 */
export async function verifyEnvelopeSignature(envelope: DsseEnvelopeData, material: BundleKeyMaterial, key: VerificationKey | undefined): Promise<SignatureCheck> {
  if (key === undefined) {
    const what = material.certificates.length > 0 ? 'a certificate' : material.publicKeyHint !== undefined ? 'a public key' : 'a key';
    return {
      status: 'not-checked',
      method: 'none',
      message: `The signature was not checked: no key or certificate was supplied (the bundle names ${what}${material.tlogEntries > 0 ? ` and ${material.tlogEntries} transparency-log entr${material.tlogEntries === 1 ? 'y' : 'ies'}` : ''}). The digests below say whether the files match the manifest, not who made the manifest.`,
      caveats: [],
    };
  }
  const base = { method: key.kind, curve: key.spki.curve, keyFingerprint: key.fingerprint, ...(key.certificate ? { certificateSubject: key.certificate.subject } : {}) } as const;
  const caveats: string[] = [];
  if (key.kind === 'certificate') {
    caveats.push(CERTIFICATE_CAVEAT);
    const leaf = material.certificates[0];
    if (leaf !== undefined && key.certificate && !bytesEqual(leaf, key.certificate.der)) {
      return { ...base, status: 'failed', message: 'The supplied certificate is not the signing certificate in the bundle.', caveats };
    }
  } else if (material.publicKeyHint !== undefined && material.publicKeyHint !== '' && material.publicKeyHint !== publicKeyHint(key.spki)) {
    caveats.push('The bundle’s key hint does not name the supplied key (the signature is checked regardless).');
  }
  if (envelope.signatures.length === 0) return { ...base, status: 'failed', message: 'The envelope has no signatures.', caveats };
  const cryptoKey = await importVerificationKey(key.spki);
  const data = pae(envelope.payloadType, envelope.payload);
  let lastProblem = '';
  for (const s of envelope.signatures) {
    let raw: Uint8Array<ArrayBuffer>;
    try {
      raw = ecdsaSignatureToP1363(s.sig, key.spki.curve);
    } catch (e) {
      lastProblem = e instanceof Error ? e.message : String(e);
      continue;
    }
    const hash = hashForCurve(key.spki.curve);
    const who = key.kind === 'certificate' ? `the certificate of ${key.certificate?.subject || 'an unnamed subject'}` : 'the supplied public key';
    if (await crypto.subtle.verify({ name: 'ECDSA', hash }, cryptoKey, raw, data)) {
      return { ...base, status: 'verified', message: `The signature over the manifest verifies with ${who} (ECDSA ${key.spki.curve}, ${hash}; key SHA-256 ${key.fingerprint.slice(0, 16)}…).`, caveats };
    }
    // Pre-1.0 signatures: the compat PAE, hashed with the curve's hash (key signer) or SHA-256 (certificate signer).
    const compat = paeCompat(envelope.payloadType, envelope.payload);
    for (const h of new Set([hash, 'SHA-256' as const])) {
      if (await crypto.subtle.verify({ name: 'ECDSA', hash: h }, cryptoKey, raw, compat)) {
        caveats.push('Signed with model_signing v0.2’s encoding (pae_compat), which later versions still accept.');
        return { ...base, status: 'verified', message: `The signature over the manifest verifies with ${who} (ECDSA ${key.spki.curve}, ${h}, pre-1.0 encoding; key SHA-256 ${key.fingerprint.slice(0, 16)}…).`, caveats };
      }
    }
  }
  return {
    ...base,
    status: 'failed',
    message: `The signature does not verify with the supplied ${key.kind === 'certificate' ? 'certificate' : 'public key'}: the manifest was changed after signing, or it was signed with another key${lastProblem ? ` (${lastProblem})` : ''}.`,
    caveats,
  };
}

/** Signs a PAE in tests and fixture builders (the private key never leaves WebCrypto). */
export async function signEnvelopeP1363(privateKey: CryptoKey, curve: EcCurve, payloadType: string, payload: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: hashForCurve(curve) }, privateKey, pae(payloadType, ownBytes(payload)));
  return new Uint8Array(sig);
}
