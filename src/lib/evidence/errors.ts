/**
 * Errors of the case file and its manifests. Like formats/errors.ts — a stable snake_case code and
 * a message that says what happened, what was expected and where — but a catalogue of its own, so
 * the readers of checksum files, signature bundles, keys and imported reports can grow without
 * touching the model-format catalogue.
 */
export const EVIDENCE_ERRORS = {
  manifest_unreadable: 'The manifest file could not be read as text or JSON.',
  manifest_unrecognised: 'The file is neither a sha256sum checksum file nor a model_signing (OMS) bundle, DSSE envelope or in-toto statement.',
  manifest_malformed: 'The manifest has the right shape but a field is missing or has the wrong type.',
  manifest_unsupported: 'The manifest uses a predicate type, serialization or hash algorithm this version does not verify.',
  manifest_too_large: 'The manifest is larger than allowed.',
  der_malformed: 'A key, certificate or signature is not valid DER.',
  key_unreadable: 'The key or certificate file holds no public key or certificate this version reads.',
  key_unsupported: 'The key is not an ECDSA P-256/P-384/P-521 key.',
  signature_malformed: 'The signature is not an ECDSA signature for the key’s curve.',
  report_unreadable: 'The file is not a Model Sleuth report (JSON, or HTML with the report embedded).',
  report_invalid: 'The report does not follow its schema.',
  store_unavailable: 'IndexedDB is not available in this browser profile.',
  store_quota: 'The browser refused to store more data (storage quota exceeded).',
  store_failed: 'A case-store transaction failed.',
  case_not_found: 'No case with this ID is stored.',
} as const;

export type EvidenceErrorCode = keyof typeof EVIDENCE_ERRORS;

export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';
  constructor(
    readonly code: EvidenceErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
