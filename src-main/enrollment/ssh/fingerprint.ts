// Host key fingerprints as OpenSSH prints them (`ssh-keygen -l -E sha256`, the prompt on first
// contact): `SHA256:` + unpadded base64 of the SHA-256 of the key blob.
import { createHash } from 'node:crypto';
import { SHA256_FINGERPRINT } from '../../shared/machine';

/** `SHA256:…` of a raw public key blob (the SSH wire encoding of the key). */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of a blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len <= 0 || len > 64 || keyBlob.length < 4 + len) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

/** The fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
export function fingerprintOfPublicKeyLine(line: string): string {
  const blob = line.trim().split(/\s+/)[1];
  if (!blob) throw new Error('not an OpenSSH public key line');
  return sha256Fingerprint(Buffer.from(blob, 'base64'));
}

/** True for a well-formed SHA256 fingerprint (43 base64 characters: 32 bytes, no padding). */
export function isSha256Fingerprint(value: string): boolean {
  return SHA256_FINGERPRINT.test(value);
}

/** Compares fingerprints, tolerating base64 padding a user may have pasted. */
export function sameFingerprint(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().replace(/=+$/, '');
  return norm(a) === norm(b);
}
