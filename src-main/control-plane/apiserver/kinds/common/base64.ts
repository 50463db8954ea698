// Secret data and ConfigMap binaryData travel as standard base64, decoded strictly the way Go's
// encoding/json decodes []byte (base64.StdEncoding; line breaks ignored, padding required).

const ALPHABET = /[A-Za-z0-9+/]/;

/** Go's `illegal base64 data at input byte N`, or undefined when the text decodes. */
export function base64Error(text: string): string | undefined {
  const bad = (i: number) => `illegal base64 data at input byte ${i}`;
  let inQuantum = 0;
  let quantumStart = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\r' || ch === '\n') continue;
    if (padding > 0) {
      // Only more '=' may follow padding, and only to complete the quantum.
      if (ch !== '=' || inQuantum === 0) return bad(i);
      padding++;
      inQuantum = (inQuantum + 1) % 4;
      continue;
    }
    if (inQuantum === 0) quantumStart = i;
    if (ch === '=') {
      if (inQuantum < 2) return bad(i);
      padding = 1;
      inQuantum = (inQuantum + 1) % 4;
      continue;
    }
    if (!ALPHABET.test(ch)) return bad(i);
    inQuantum = (inQuantum + 1) % 4;
  }
  if (inQuantum !== 0) return bad(quantumStart);
  return undefined;
}

/** Decoded size in bytes of valid base64 text. */
export function base64DecodedLength(text: string): number {
  return Buffer.from(text, 'base64').length;
}

export function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
