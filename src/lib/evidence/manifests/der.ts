/**
 * Just enough ASN.1 DER (ITU-T X.690) to read what signature verification needs from hostile
 * input: SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), an X.509 certificate's SPKI, subject and
 * validity (RFC 5280 §4.1), and ECDSA-Sig-Value (RFC 3279 §2.2.3). Every length is checked
 * against the bytes that remain before anything is sliced; nothing is allocated from a length.
 */
import { EvidenceError } from '../errors.ts';
import { base64ToBytes } from '../encoding.ts';

export interface DerNode {
  tag: number;
  /** Offset of the tag byte in the input. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset one past the last content byte. */
  end: number;
}

/** DER nesting deeper than this is refused (certificates nest ~8 levels). */
const MAX_DER_DEPTH = 32;

export function readNode(bytes: Uint8Array, at: number, limit = bytes.length): DerNode {
  if (at + 2 > limit) throw new EvidenceError('der_malformed', `DER: a value starts at byte ${at} but only ${limit - at} bytes remain`);
  const tag = bytes[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new EvidenceError('der_malformed', `DER: multi-byte tags are not used by keys or certificates (byte ${at})`);
  let len = bytes[at + 1] as number;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new EvidenceError('der_malformed', `DER: length of ${n} bytes at byte ${at + 1} (indefinite or over 4 bytes)`);
    if (p + n > limit) throw new EvidenceError('der_malformed', `DER: the length at byte ${at + 1} runs past the end`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (bytes[p + i] as number);
    p += n;
  }
  if (p + len > limit) throw new EvidenceError('der_malformed', `DER: a value of ${len} bytes at byte ${at} runs past the end of its container (${limit - p} bytes remain)`);
  return { tag, start: at, contentStart: p, end: p + len };
}

/** The children of a constructed value (SEQUENCE, SET, context tag). */
export function children(bytes: Uint8Array, node: DerNode, depth = 0): DerNode[] {
  if (depth > MAX_DER_DEPTH) throw new EvidenceError('der_malformed', 'DER: nested too deeply');
  const out: DerNode[] = [];
  let p = node.contentStart;
  while (p < node.end) {
    const c = readNode(bytes, p, node.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined || node.tag !== tag) throw new EvidenceError('der_malformed', `DER: expected ${what}`);
  return node;
}

const SEQUENCE = 0x30;
const OID = 0x06;
const BIT_STRING = 0x03;
const INTEGER = 0x02;

function hex(bytes: Uint8Array, node: DerNode): string {
  let s = '';
  for (let i = node.contentStart; i < node.end; i++) s += (bytes[i] as number).toString(16).padStart(2, '0');
  return s;
}

/** Encoded OID contents of id-ecPublicKey and the named curves WebCrypto supports (RFC 5480 §2.1.1). */
const EC_PUBLIC_KEY = '2a8648ce3d0201';
const CURVES: Record<string, EcCurve> = {
  '2a8648ce3d030107': 'P-256',
  '2b81040022': 'P-384',
  '2b81040023': 'P-521',
};

export type EcCurve = 'P-256' | 'P-384' | 'P-521';

export interface SpkiInfo {
  /** The whole SubjectPublicKeyInfo TLV (what WebCrypto imports as 'spki'). */
  der: Uint8Array<ArrayBuffer>;
  curve: EcCurve;
}

export function parseSpki(der: Uint8Array, start = 0, limit = der.length): SpkiInfo {
  const spki = expectTag(readNode(der, start, limit), SEQUENCE, 'a SubjectPublicKeyInfo SEQUENCE');
  const [alg, key] = children(der, spki);
  const algSeq = expectTag(alg, SEQUENCE, 'an AlgorithmIdentifier');
  expectTag(key, BIT_STRING, 'the public key BIT STRING');
  const [algOid, params] = children(der, algSeq);
  const oid = hex(der, expectTag(algOid, OID, 'the algorithm OID'));
  if (oid !== EC_PUBLIC_KEY) throw new EvidenceError('key_unsupported', 'The public key is not an elliptic-curve key (model_signing signs with ECDSA P-256/P-384/P-521)');
  const curve = CURVES[hex(der, expectTag(params, OID, 'the named-curve OID'))];
  if (curve === undefined) throw new EvidenceError('key_unsupported', 'The elliptic curve is not P-256, P-384 or P-521');
  return { der: der.slice(spki.start, spki.end), curve };
}

export interface CertificateInfo {
  der: Uint8Array<ArrayBuffer>;
  spki: SpkiInfo;
  subject: string;
  issuer: string;
  notBefore?: string;
  notAfter?: string;
}

const NAME_ATTRIBUTES: Record<string, string> = { '550403': 'CN', '55040a': 'O', '55040b': 'OU', '550406': 'C', '2a864886f70d010901': 'E' };

function readName(bytes: Uint8Array, node: DerNode): string {
  const parts: string[] = [];
  for (const rdn of children(bytes, node)) {
    for (const atv of children(bytes, rdn)) {
      const [type, value] = children(bytes, atv);
      if (type === undefined || value === undefined || type.tag !== OID) continue;
      const label = NAME_ATTRIBUTES[hex(bytes, type)];
      if (label === undefined) continue;
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(value.contentStart, value.end));
      } catch {
        text = '(not UTF-8)';
      }
      parts.push(`${label}=${text}`);
    }
  }
  return parts.join(', ');
}

function readTime(bytes: Uint8Array, node: DerNode | undefined): string | undefined {
  if (node === undefined || (node.tag !== 0x17 && node.tag !== 0x18)) return undefined;
  const s = String.fromCharCode(...bytes.subarray(node.contentStart, node.end));
  const m = node.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const year = node.tag === 0x17 ? (Number(m[1]) >= 50 ? 1900 : 2000) + Number(m[1]) : Number(m[1]);
  return `${String(year).padStart(4, '0')}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

/** Reads an X.509 certificate's public key, subject, issuer and validity. Nothing is *checked* here. */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  const cert = expectTag(readNode(der, 0), SEQUENCE, 'a Certificate SEQUENCE');
  const [tbs] = children(der, cert);
  const tbsNode = expectTag(tbs, SEQUENCE, 'a TBSCertificate SEQUENCE');
  const fields = children(der, tbsNode);
  // [0] EXPLICIT version is optional (v1 certificates omit it).
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = fields[offset + 2];
  const validity = fields[offset + 3];
  const subject = fields[offset + 4];
  const spkiNode = fields[offset + 5];
  if (spkiNode === undefined || issuer === undefined || subject === undefined || validity === undefined) throw new EvidenceError('der_malformed', 'DER: the certificate has fewer fields than X.509 defines');
  const [notBefore, notAfter] = children(der, expectTag(validity, SEQUENCE, 'the validity SEQUENCE'));
  const info: CertificateInfo = {
    der: der.slice(cert.start, cert.end),
    spki: parseSpki(der, spkiNode.start, spkiNode.end),
    subject: readName(der, expectTag(subject, SEQUENCE, 'the subject Name')),
    issuer: readName(der, expectTag(issuer, SEQUENCE, 'the issuer Name')),
  };
  const nb = readTime(der, notBefore);
  const na = readTime(der, notAfter);
  if (nb !== undefined) info.notBefore = nb;
  if (na !== undefined) info.notAfter = na;
  return info;
}

/** Size in bytes of r and s for a curve (P-521's 521 bits round up to 66 bytes). */
export function curveScalarBytes(curve: EcCurve): number {
  return curve === 'P-256' ? 32 : curve === 'P-384' ? 48 : 66;
}

/**
 * An ECDSA signature as WebCrypto verifies it (IEEE P1363: r ‖ s, each left-padded to the curve's
 * size) from the DER ECDSA-Sig-Value that OpenSSL, Python's cryptography and Sigstore write. A
 * signature that is already r ‖ s (exactly twice the scalar size, not a DER SEQUENCE) is returned as is.
 */
export function ecdsaSignatureToP1363(sig: Uint8Array, curve: EcCurve): Uint8Array<ArrayBuffer> {
  const n = curveScalarBytes(curve);
  if (sig[0] !== SEQUENCE && sig.length === 2 * n) return sig.slice();
  const seq = expectTag(readNode(sig, 0), SEQUENCE, 'an ECDSA-Sig-Value SEQUENCE');
  if (seq.end !== sig.length) throw new EvidenceError('der_malformed', 'DER: bytes after the ECDSA signature');
  const [r, s] = children(sig, seq);
  const out = new Uint8Array(2 * n);
  for (const [i, node] of [r, s].entries()) {
    const int = expectTag(node, INTEGER, 'an INTEGER of the signature');
    let a = int.contentStart;
    while (a < int.end - 1 && sig[a] === 0) a++;
    const len = int.end - a;
    if (len > n) throw new EvidenceError('signature_malformed', `The signature's ${i === 0 ? 'r' : 's'} is ${len} bytes, more than ${curve} allows (${n})`);
    out.set(sig.subarray(a, int.end), i * n + (n - len));
  }
  return out;
}

export interface PemBlock {
  label: string;
  der: Uint8Array<ArrayBuffer>;
}

/** Every "-----BEGIN X-----" … "-----END X-----" block of a PEM text (RFC 7468). */
export function parsePem(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    const body = (m[2] ?? '').replace(/^[A-Za-z-]+:.*$/gm, '');
    out.push({ label: m[1] ?? '', der: base64ToBytes(body) });
  }
  return out;
}

/** The PEM text Python's cryptography writes for a SubjectPublicKeyInfo (model_signing's key hint hashes it). */
export function spkiToPem(der: Uint8Array, b64: (bytes: Uint8Array) => string): string {
  const body = b64(der).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`;
}
