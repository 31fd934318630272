import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalDigest, canonicalJson } from '../../../src/lib/evidence/canonical-json.ts';
import { base64ToBytes, bytesToBase64, bytesToBase64Url } from '../../../src/lib/evidence/encoding.ts';
import { sha256Hex } from '../../../src/lib/evidence/sha256-sync.ts';

describe('sha256Hex (synchronous twin of node:crypto)', () => {
  it('known answers (FIPS 180-4 examples)', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });
  it('agrees with node:crypto for every length around the padding boundaries', () => {
    for (let n = 0; n < 300; n++) {
      const b = randomBytes(n);
      expect(sha256Hex(b), `length ${n}`).toBe(createHash('sha256').update(b).digest('hex'));
    }
    const big = randomBytes(1_000_003);
    expect(sha256Hex(big)).toBe(createHash('sha256').update(big).digest('hex'));
  });
  it('hashes strings as UTF-8', () => {
    expect(sha256Hex('é ∑ 😀')).toBe(createHash('sha256').update('é ∑ 😀', 'utf8').digest('hex'));
  });
});

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, no whitespace, ES number form', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1e21, y: 0.1, x: -0 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"x":0,"y":0.1,"z":1e+21}}');
    // RFC 8785 §3.2.3: "\u20ac" (€) sorts after "\r" and before "\ud83d\ude00" by code unit.
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4, '10': 5 })).toBe('{"\\r":2,"1":4,"10":5,"€":1,"😀":3}');
  });
  it('drops undefined members (as JSON.stringify) and rejects values JSON cannot hold', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/no JSON form/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/no JSON form/);
  });
  it('is independent of member order, and survives a JSON round trip', () => {
    const a = { x: [1, 2, { q: 'é', p: 1.5 }], y: 'z' };
    const b = { y: 'z', x: [1, 2, { p: 1.5, q: 'é' }] };
    expect(canonicalDigest(a)).toBe(canonicalDigest(b));
    expect(canonicalDigest(JSON.parse(JSON.stringify(a)))).toBe(canonicalDigest(a));
  });
});

describe('base64', () => {
  it('round-trips every length and reads URL-safe digits', () => {
    for (let n = 0; n < 70; n++) {
      const b = randomBytes(n);
      expect(bytesToBase64(b)).toBe(Buffer.from(b).toString('base64'));
      expect([...base64ToBytes(bytesToBase64(b))]).toEqual([...b]);
      expect([...base64ToBytes(bytesToBase64Url(b))]).toEqual([...b]);
    }
    expect(() => base64ToBytes('ab$d')).toThrow(/character/);
  });
});
