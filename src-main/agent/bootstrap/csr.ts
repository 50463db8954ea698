// The node's key pair and its PKCS#10 request for a client certificate, made on the node: the private
// key never leaves it. ECDSA P-256 from node:crypto, subject CN=system:node:NAME, O=system:nodes —
// what the CSR signing controller approves for a bootstrap token bound to NAME.
//
// The request is encoded here (RFC 2986, DER) rather than with an X.509 library: its shape is fixed
// and small, and a library would add about half a megabyte to the agent bundle pushed to every
// machine. The control plane parses and verifies it with @peculiar/x509 (csrsigning/review.ts), and
// the specs check the two agree.
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { GROUP_NODES, NODE_USER_PREFIX } from '../../shared/bootstrap';

export interface NodeKeyAndRequest {
  /** PKCS#8 PEM: written to the node's disk (0600), nowhere else. */
  keyPem: string;
  /** PEM `CERTIFICATE REQUEST`. */
  csrPem: string;
}

// --------------------------------------------------------------------------------------- DER writer

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const bitString = (bytes: Buffer) => tlv(0x03, Buffer.from([0]), bytes);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [a * 40 + b];
  for (const arc of rest) {
    const base128: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** One RDN per attribute, CN first, as Go's pkix and the control plane's issuer write them. */
function name(attributes: [string, string][]): Buffer {
  return sequence(...attributes.map(([type, value]) => set(sequence(oid(type), utf8String(value)))));
}

/** A PKCS#10 request for `subject`, signed with `privateKey` (ECDSA with SHA-256). */
export function certificationRequest(
  subject: [string, string][],
  privateKey: KeyObject,
): { der: Buffer; pem: string } {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  // version 0, subject, public key, no attributes ([0] IMPLICIT SET OF, empty).
  const info = sequence(tlv(0x02, Buffer.from([0])), name(subject), spki, Buffer.from([0xa0, 0x00]));
  // Node signs EC keys with a DER-encoded ECDSA-Sig-Value, what X.509 carries in the bit string.
  const signature = sign('sha256', info, privateKey);
  const der = sequence(info, sequence(oid(OID_ECDSA_WITH_SHA256)), bitString(signature));
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return { der, pem: `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n` };
}

export async function createNodeKeyAndCsr(nodeName: string): Promise<NodeKeyAndRequest> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const request = certificationRequest(
    [
      [OID_COMMON_NAME, `${NODE_USER_PREFIX}${nodeName}`],
      [OID_ORGANIZATION, GROUP_NODES],
    ],
    privateKey,
  );
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    csrPem: request.pem,
  };
}
