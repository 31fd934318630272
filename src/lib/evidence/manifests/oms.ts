/**
 * Reader for OpenSSF Model Signing (sigstore/model-transparency, `model_signing`) manifests: the
 * in-toto statement v1 whose predicate lists every file (or file shard) of a model with its
 * digest, usually inside a DSSE envelope inside a Sigstore bundle (`model.sig`).
 *
 * Layouts read (as model_signing ≥ 1.0 writes and reads them — src/model_signing/_signing/signing.py,
 * sign_sigstore_pb.py, manifest.py):
 * - Sigstore bundle JSON: {mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" (or v0.1/v0.2),
 *   verificationMaterial: {publicKey: {hint}} | {x509CertificateChain: {certificates: [{rawBytes}]}}
 *   | {certificate: {rawBytes}}, tlogEntries: […]}, dsseEnvelope: {payload (base64), payloadType,
 *   signatures: [{sig (base64), keyid}]}}
 * - a bare DSSE envelope {payload, payloadType, signatures}
 * - a bare in-toto statement {_type: "https://in-toto.io/Statement/v1", subject, predicateType, predicate}
 * Statement: predicateType "https://model_signing/signature/v1.0" (any v1.x is read; fields other
 * than serialization and resources are ignored, as v1.0 requires of verifiers); subject[0] = {name:
 * model name, digest: {sha256: SHA-256 over the resources' raw digests, in order}}; predicate =
 * {serialization: {method: "files" | "shards", hash_type, shard_size?, allow_symlinks, ignore_paths?},
 * resources: [{name, algorithm, digest (hex)}]}. A shard's name is "path:start:end" (byte range
 * [start, end) of the file at path). The pre-1.0 predicate "https://model_signing/Digests/v0.1"
 * (files as subjects) is read too.
 *
 * Everything in a manifest is data: resource names are matched against files the verifier
 * enumerated itself, never used to open anything.
 */
import { parseStrictJson, isJsonObject, type JsonObject, type JsonValue } from '../../formats/strict-json.ts';
import { base64ToBytes, decodeUtf8, hexToBytes } from '../encoding.ts';
import { EvidenceError } from '../errors.ts';
import { sha256Hex } from '../sha256-sync.ts';
import type { BundleKeyMaterial, DsseEnvelopeData } from './signature.ts';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const MODEL_SIGNING_PREDICATE_V1 = 'https://model_signing/signature/v1.0';
export const MODEL_SIGNING_PREDICATE_COMPAT = 'https://model_signing/Digests/v0.1';
export const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** A bundle larger than this is not a model manifest (a million shards is ~150 MB). CWE-770. */
export const MAX_OMS_BYTES = 256 * 1024 * 1024;
/** Resources per manifest (a 10,000-file model at 1 GB shards of multi-TB files stays far below). */
export const MAX_OMS_RESOURCES = 1_000_000;

export interface OmsFileItem {
  kind: 'file';
  /** The resource name as written. */
  name: string;
  path: string;
  algorithm: string;
  digest: string;
}

export interface OmsShardItem {
  kind: 'shard';
  name: string;
  path: string;
  start: number;
  end: number;
  algorithm: string;
  digest: string;
}

export type OmsItem = OmsFileItem | OmsShardItem;

export interface OmsManifest {
  container: 'sigstore-bundle' | 'dsse-envelope' | 'in-toto-statement';
  bundleMediaType?: string;
  predicateType: string;
  modelName: string;
  serialization: { method: string; hashType: string; shardSize?: number; allowSymlinks?: boolean; ignorePaths: string[] };
  items: OmsItem[];
  /** subject[0].digest.sha256 and whether the resources hash to it (model_signing rejects the manifest otherwise). */
  rootDigest?: { expected: string; computed: string; consistent: boolean };
  envelope?: DsseEnvelopeData;
  keyMaterial: BundleKeyMaterial;
  warnings: string[];
}

/** Sniffs JSON that looks like an OMS bundle, envelope or statement. */
export function looksLikeOms(text: string): boolean {
  const head = text.trimStart().slice(0, 4096);
  return head.startsWith('{') && /"(dsseEnvelope|payloadType|_type|mediaType|predicateType)"/.test(head);
}

export function parseOmsManifest(text: string): OmsManifest {
  if (text.length > MAX_OMS_BYTES) throw new EvidenceError('manifest_too_large', `The manifest is ${text.length.toLocaleString('en-US')} characters; more than the ${MAX_OMS_BYTES.toLocaleString('en-US')} allowed`);
  let root: JsonValue;
  try {
    root = parseStrictJson(text);
  } catch (e) {
    throw new EvidenceError('manifest_unreadable', `The manifest is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!isJsonObject(root)) throw new EvidenceError('manifest_unrecognised', 'The manifest JSON is not an object');
  const warnings: string[] = [];
  if (isJsonObject(root['dsseEnvelope'])) {
    const mediaType = str(root['mediaType']);
    if (mediaType !== undefined && !/^application\/vnd\.dev\.sigstore\.bundle(\.v0\.[123]\+json|\+json;version=0\.[123])$/.test(mediaType)) {
      warnings.push(`Unknown Sigstore bundle media type ${JSON.stringify(mediaType)}; read as a v0.3 bundle`);
    }
    const envelope = readEnvelope(root['dsseEnvelope']);
    const keyMaterial = readKeyMaterial(root['verificationMaterial']);
    return { ...fromEnvelope(envelope, warnings), container: 'sigstore-bundle', ...(mediaType === undefined ? {} : { bundleMediaType: mediaType }), envelope, keyMaterial };
  }
  if (typeof root['payloadType'] === 'string' && typeof root['payload'] === 'string') {
    const envelope = readEnvelope(root);
    return { ...fromEnvelope(envelope, warnings), container: 'dsse-envelope', envelope, keyMaterial: { certificates: [], tlogEntries: 0 } };
  }
  if (typeof root['_type'] === 'string') {
    return { ...readStatement(root, warnings), container: 'in-toto-statement', keyMaterial: { certificates: [], tlogEntries: 0 }, warnings };
  }
  throw new EvidenceError('manifest_unrecognised', 'The JSON is not a Sigstore bundle (no dsseEnvelope), a DSSE envelope (no payloadType/payload) or an in-toto statement (no _type)');
}

function fromEnvelope(envelope: DsseEnvelopeData, warnings: string[]): Omit<OmsManifest, 'container' | 'keyMaterial' | 'envelope'> {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new EvidenceError('manifest_unsupported', `The envelope's payload type is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  let text: string;
  try {
    text = decodeUtf8(envelope.payload);
  } catch {
    throw new EvidenceError('manifest_malformed', 'The envelope payload is not UTF-8 text');
  }
  let statement: JsonValue;
  try {
    statement = parseStrictJson(text);
  } catch (e) {
    throw new EvidenceError('manifest_malformed', `The envelope payload is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!isJsonObject(statement)) throw new EvidenceError('manifest_malformed', 'The envelope payload is not a JSON object');
  return { ...readStatement(statement, warnings), warnings };
}

function readEnvelope(v: JsonValue | undefined): DsseEnvelopeData {
  if (!isJsonObject(v)) throw new EvidenceError('manifest_malformed', 'dsseEnvelope is not an object');
  const payloadType = str(v['payloadType']);
  const payload = str(v['payload']);
  if (payloadType === undefined || payload === undefined) throw new EvidenceError('manifest_malformed', 'The DSSE envelope needs string payloadType and payload');
  const sigs = Array.isArray(v['signatures']) ? v['signatures'] : [];
  return {
    payloadType,
    payload: b64(payload, 'payload'),
    signatures: sigs.filter(isJsonObject).map((s, i) => ({ sig: b64(str(s['sig']) ?? '', `signatures[${i}].sig`), keyid: str(s['keyid']) ?? '' })),
  };
}

function readKeyMaterial(v: JsonValue | undefined): BundleKeyMaterial {
  const out: BundleKeyMaterial = { certificates: [], tlogEntries: 0 };
  if (!isJsonObject(v)) return out;
  const pk = v['publicKey'];
  if (isJsonObject(pk)) {
    const hint = str(pk['hint']);
    if (hint !== undefined) out.publicKeyHint = hint;
  }
  const chain = v['x509CertificateChain'];
  if (isJsonObject(chain) && Array.isArray(chain['certificates'])) {
    for (const [i, c] of chain['certificates'].entries()) if (isJsonObject(c) && typeof c['rawBytes'] === 'string') out.certificates.push(b64(c['rawBytes'], `certificates[${i}]`));
  }
  const single = v['certificate'];
  if (isJsonObject(single) && typeof single['rawBytes'] === 'string') out.certificates.push(b64(single['rawBytes'], 'certificate'));
  if (Array.isArray(v['tlogEntries'])) out.tlogEntries = v['tlogEntries'].length;
  return out;
}

function readStatement(s: JsonObject, warnings: string[]): Omit<OmsManifest, 'container' | 'keyMaterial' | 'envelope' | 'warnings'> {
  const type = str(s['_type']);
  if (type !== IN_TOTO_STATEMENT_V1) {
    if (type === 'https://in-toto.io/Statement/v0.1') warnings.push('An in-toto v0.1 statement; read as v1');
    else throw new EvidenceError('manifest_unsupported', `The statement type is ${JSON.stringify(type)}, not ${IN_TOTO_STATEMENT_V1}`);
  }
  const predicateType = str(s['predicateType']) ?? '';
  const subjects = Array.isArray(s['subject']) ? s['subject'].filter(isJsonObject) : [];
  if (predicateType === MODEL_SIGNING_PREDICATE_COMPAT) return readCompat(subjects, predicateType, warnings);
  const version = /^https:\/\/model_signing\/signature\/v(\d+)\.(\d+)$/.exec(predicateType);
  if (!version) throw new EvidenceError('manifest_unsupported', `The predicate type is ${JSON.stringify(predicateType)}, not a model_signing signature (${MODEL_SIGNING_PREDICATE_V1})`);
  if (version[1] !== '1') throw new EvidenceError('manifest_unsupported', `model_signing predicate v${version[1]}.${version[2]} is newer than this reader (v1.x)`);
  if (version[2] !== '0') warnings.push(`Predicate v1.${version[2]}: read as v1.0 (its serialization and resources); other fields are ignored`);
  if (subjects.length !== 1) throw new EvidenceError('manifest_malformed', `Expected exactly one subject (the model), found ${subjects.length}`);
  const subject = subjects[0] as JsonObject;
  const modelName = str(subject['name']) ?? '';
  const digest = subject['digest'];
  const expectedRoot = isJsonObject(digest) ? str(digest['sha256']) : undefined;
  const predicate = s['predicate'];
  if (!isJsonObject(predicate)) throw new EvidenceError('manifest_malformed', 'The statement has no predicate object');
  const ser = predicate['serialization'];
  if (!isJsonObject(ser)) throw new EvidenceError('manifest_malformed', 'The predicate has no serialization object');
  const method = str(ser['method']) ?? '';
  const hashType = str(ser['hash_type']) ?? '';
  const shardSize = typeof ser['shard_size'] === 'number' ? ser['shard_size'] : undefined;
  const ignore = Array.isArray(ser['ignore_paths']) ? ser['ignore_paths'].filter((p): p is string => typeof p === 'string') : [];
  if (method !== 'files' && method !== 'shards') throw new EvidenceError('manifest_unsupported', `Serialization method ${JSON.stringify(method)} is not "files" or "shards"`);
  const resources = predicate['resources'];
  if (!Array.isArray(resources)) throw new EvidenceError('manifest_malformed', 'The predicate has no resources list');
  if (resources.length > MAX_OMS_RESOURCES) throw new EvidenceError('manifest_too_large', `${resources.length.toLocaleString('en-US')} resources; more than the ${MAX_OMS_RESOURCES.toLocaleString('en-US')} allowed`);
  const items: OmsItem[] = [];
  const digestBytes: Uint8Array[] = [];
  for (const [i, r] of resources.entries()) {
    if (!isJsonObject(r)) throw new EvidenceError('manifest_malformed', `resources[${i}] is not an object`);
    const name = str(r['name']);
    const algorithm = str(r['algorithm']);
    const value = str(r['digest']);
    if (name === undefined || algorithm === undefined || value === undefined || !/^[0-9a-fA-F]+$/.test(value) || value.length % 2 !== 0) {
      throw new EvidenceError('manifest_malformed', `resources[${i}] needs a name, an algorithm and a hex digest`);
    }
    digestBytes.push(hexToBytes(value));
    const d = value.toLowerCase();
    if (method === 'shards') {
      const shard = parseShardName(name);
      if (shard === undefined) throw new EvidenceError('manifest_malformed', `resources[${i}]: ${JSON.stringify(name.slice(0, 200))} is not a shard name "path:start:end"`);
      items.push({ kind: 'shard', name, ...shard, algorithm, digest: d });
    } else items.push({ kind: 'file', name, path: name, algorithm, digest: d });
  }
  const out: Omit<OmsManifest, 'container' | 'keyMaterial' | 'envelope' | 'warnings'> = {
    predicateType,
    modelName,
    serialization: { method, hashType, ignorePaths: ignore, ...(shardSize === undefined ? {} : { shardSize }), ...(typeof ser['allow_symlinks'] === 'boolean' ? { allowSymlinks: ser['allow_symlinks'] } : {}) },
    items,
  };
  if (expectedRoot !== undefined) {
    const all = new Uint8Array(digestBytes.reduce((n, b) => n + b.length, 0));
    let o = 0;
    for (const b of digestBytes) {
      all.set(b, o);
      o += b.length;
    }
    const computed = sha256Hex(all);
    out.rootDigest = { expected: expectedRoot.toLowerCase(), computed, consistent: computed === expectedRoot.toLowerCase() };
  } else warnings.push('The subject has no sha256 digest over the resources');
  return out;
}

function readCompat(subjects: JsonObject[], predicateType: string, warnings: string[]): Omit<OmsManifest, 'container' | 'keyMaterial' | 'envelope' | 'warnings'> {
  warnings.push('A pre-1.0 model_signing manifest (Digests/v0.1): files are the subjects and there is no root digest over them');
  const items: OmsItem[] = subjects.map((s, i) => {
    const name = str(s['name']);
    const digest = s['digest'];
    const value = isJsonObject(digest) ? str(digest['sha256']) : undefined;
    if (name === undefined || value === undefined || !/^[0-9a-fA-F]{64}$/.test(value)) throw new EvidenceError('manifest_malformed', `subject[${i}] needs a name and a sha256 digest`);
    return { kind: 'file', name, path: name, algorithm: 'sha256', digest: value.toLowerCase() };
  });
  return { predicateType, modelName: 'compat-undefined-not-present', serialization: { method: 'files', hashType: 'sha256', ignorePaths: [] }, items };
}

/** "dir/model.safetensors:0:1000000000" → path and [start, end); parsed from the right, as a path may hold ":". */
export function parseShardName(name: string): { path: string; start: number; end: number } | undefined {
  const m = /^(.+):(\d{1,16}):(\d{1,16})$/s.exec(name);
  if (!m) return undefined;
  const start = Number(m[2]);
  const end = Number(m[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  return { path: m[1] ?? '', start, end };
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function b64(text: string, what: string): Uint8Array {
  try {
    return base64ToBytes(text);
  } catch (e) {
    throw new EvidenceError('manifest_malformed', `${what} is not base64: ${e instanceof Error ? e.message : String(e)}`);
  }
}
