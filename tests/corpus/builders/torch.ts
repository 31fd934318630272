/**
 * PyTorch checkpoints for the corpus, assembled from a data.pkl (./pickle.ts) and storages:
 *
 * - `torchZip`: the torch.save ≥ 1.6 layout (torch/serialization.py `_save`): `<archive>/data.pkl`,
 *   `<archive>/byteorder`, `<archive>/data/<key>` per storage, `<archive>/version`; every member
 *   stored, 64-byte aligned, with a data descriptor, as torch's writer does;
 * - `torchLegacy`: the pre-1.6 stream (`_legacy_save`): five pickles (magic number, protocol
 *   version 1001, sys_info, the object, the sorted storage keys) then each storage as a u64
 *   element count and its bytes.
 */
import { concat, u64, utf8 } from './bytes.ts';
import { asm, type PickleAsm } from './pickle.ts';
import { buildZip, type BuiltZip, type ZipMember, type ZipSpec } from './zip.ts';

export interface TorchZipSpec {
  archive?: string;
  dataPkl: Uint8Array;
  storages?: Record<string, Uint8Array>;
  /** Changes to the data.pkl member (compression, flags, lies). */
  pklMember?: Partial<ZipMember>;
  /** Members appended after the standard ones. */
  extra?: readonly ZipMember[];
  /** Content of the byteorder record; null leaves it out. */
  byteorder?: string | null;
  zip?: ZipSpec;
}

export function torchZip(spec: TorchZipSpec): BuiltZip {
  const a = spec.archive ?? 'archive';
  const members: ZipMember[] = [{ name: `${a}/data.pkl`, data: spec.dataPkl, descriptor: true, align: 64, ...spec.pklMember }];
  if (spec.byteorder !== null) members.push({ name: `${a}/byteorder`, data: utf8(spec.byteorder ?? 'little'), descriptor: true, align: 64 });
  for (const [key, data] of Object.entries(spec.storages ?? {})) members.push({ name: `${a}/data/${key}`, data, descriptor: true, align: 64 });
  members.push({ name: `${a}/version`, data: utf8('3\n'), descriptor: true, align: 64 });
  members.push(...(spec.extra ?? []));
  return buildZip(members, spec.zip ?? {});
}

/** LONG1 0x1950a86a20f9469cfc6c (torch/serialization.py MAGIC_NUMBER) after PROTO 2. */
export function legacyMagicPickle(): Uint8Array {
  return asm().proto(2).long1([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]).stop().bytesOut();
}

export function legacyProtocolPickle(version = 1001): Uint8Array {
  return asm().proto(2).int(version).stop().bytesOut();
}

export function legacySysInfoPickle(littleEndian = true): Uint8Array {
  const p = asm().proto(2).emptyDict().mark();
  p.str('protocol_version').int(1001).str('little_endian').raw(littleEndian ? 0x88 : 0x89);
  p.str('type_sizes').emptyDict().mark().str('short').int(2).str('int').int(4).str('long').int(4).setitems();
  return p.setitems().stop().bytesOut();
}

/** A legacy tensor: _rebuild_tensor_v2 over ('storage', FloatStorage, key, 'cpu', numel, None). */
export function legacyTensor(p: PickleAsm, o: { key: string; numel: number; size: readonly number[]; stride: readonly number[]; storage?: string }): PickleAsm {
  p.global('torch._utils', '_rebuild_tensor_v2').mark();
  p.mark().str('storage').global('torch', o.storage ?? 'FloatStorage').str(o.key).str('cpu').int(o.numel).none().tupleMark().binpersid();
  p.int(0).mark();
  for (const d of o.size) p.int(d);
  p.tupleMark().mark();
  for (const d of o.stride) p.int(d);
  return p.tupleMark().raw(0x89).global('collections', 'OrderedDict').tuple(0).reduce().tupleMark().reduce();
}

export function legacyKeysPickle(keys: readonly string[]): Uint8Array {
  const p = asm().proto(2).emptyList().mark();
  for (const k of keys) p.str(k);
  return p.appends().stop().bytesOut();
}

export interface LegacySpec {
  magic?: Uint8Array;
  protocol?: Uint8Array;
  sysInfo?: Uint8Array;
  object: Uint8Array;
  keys: Uint8Array;
  /** Storage records in order: element count (may lie) and bytes. */
  records: readonly { count: number | bigint; data: Uint8Array }[];
}

export function torchLegacy(spec: LegacySpec): Uint8Array {
  return concat(
    spec.magic ?? legacyMagicPickle(),
    spec.protocol ?? legacyProtocolPickle(),
    spec.sysInfo ?? legacySysInfoPickle(),
    spec.object,
    spec.keys,
    ...spec.records.flatMap((r) => [u64(r.count), r.data]),
  );
}
