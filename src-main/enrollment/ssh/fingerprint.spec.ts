import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fingerprintOfPublicKeyLine,
  isSha256Fingerprint,
  keyTypeOf,
  sameFingerprint,
  sha256Fingerprint,
} from './fingerprint';

// A fixed ed25519 public key and the fingerprint `ssh-keygen -l -E sha256` prints for it.
const LINE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOgDHMgwXwaNDYeYvt2Ilk9u7bYF/cRm8VCgyfIxgZRa test';
const FP = 'SHA256:+qmSaas7QDngB6HYJnPyCVhTDbi7YDSNssmxKHvBMxU';

describe('host key fingerprints', () => {
  it('match what OpenSSH prints', () => {
    expect(fingerprintOfPublicKeyLine(LINE)).toBe(FP);
    const blob = Buffer.from(LINE.split(' ')[1]!, 'base64');
    expect(sha256Fingerprint(blob)).toBe(FP);
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(Buffer.from([0, 0]))).toBe('unknown');
  });

  const hasKeygen = (() => {
    try {
      execFileSync('ssh-keygen', ['-V'], { stdio: 'ignore' });
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  })();
  it.skipIf(!hasKeygen)('match ssh-keygen for a fresh key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], {
        encoding: 'utf8',
      });
      expect(fingerprintOfPublicKeyLine(readFileSync(join(dir, 'k.pub'), 'utf8'))).toBe(
        printed.split(' ')[1],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are recognised and compared tolerating pasted padding', () => {
    expect(isSha256Fingerprint(FP)).toBe(true);
    expect(isSha256Fingerprint('SHA256:short')).toBe(false);
    expect(isSha256Fingerprint('MD5:12:34')).toBe(false);
    expect(sameFingerprint(FP, `${FP}=`)).toBe(true);
    expect(sameFingerprint(FP, ` ${FP}\n`)).toBe(true);
    expect(sameFingerprint(FP, FP.replace('+qm', '-qm'))).toBe(false);
  });
});
