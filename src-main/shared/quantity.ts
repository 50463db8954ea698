// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): `100m`, `0.5`, `1Gi`, `129e6`...
// A quantity is kept exactly, as an integer mantissa times a power of ten, rounded up to nano precision the way
// Kubernetes rounds it; it prints in the canonical form the API server stores (`0.5` → `500m`, `1024Mi` → `1Gi`).
// Pure code: the API server, scheduler, agent and UI all read resource requests through here.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** value = mantissa × 10^scale, exactly. */
  mantissa: bigint;
  scale: number;
  /** The suffix family the quantity was written in; it decides how it prints. */
  format: QuantityFormat;
}

export const QUANTITY_REGEX_SOURCE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_REGEX_SOURCE}'`;
const NUMERIC_ERROR = 'unable to parse numeric part of quantity';
const SUFFIX_ERROR = "unable to parse quantity's suffix";

export class QuantityError extends Error {
  readonly code = 'InvalidQuantity';
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const quantityRe = new RegExp(QUANTITY_REGEX_SOURCE);

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));

/** Nano precision: Kubernetes rounds finer values up. */
const MIN_SCALE = -9;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Divides rounding away from zero (inf.RoundUp), the rounding Kubernetes uses for quantities. */
function divRoundUp(value: bigint, divisor: bigint): bigint {
  const q = value / divisor;
  return value % divisor === 0n ? q : value < 0n ? q - 1n : q + 1n;
}

/**
 * Parses a quantity string (or a JSON number, which Kubernetes also accepts). Throws QuantityError with
 * Kubernetes' message when the text is not a quantity.
 */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberToText(input) : input;
  const m = quantityRe.exec(text);
  if (!m) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const numberPart = m[1] as string;
  const suffix = m[2] as string;

  const num = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/.exec(numberPart);
  if (!num || ((num[2] ?? '') === '' && (num[3] ?? '') === '')) throw new QuantityError(NUMERIC_ERROR);
  const negative = num[1] === '-';
  const whole = num[2] ?? '';
  const fraction = num[3] ?? '';

  let format: QuantityFormat;
  let base10Exp = 0;
  let base2Exp = 0;
  if (suffix in DECIMAL_SUFFIXES) {
    format = 'DecimalSI';
    base10Exp = DECIMAL_SUFFIXES[suffix] as number;
  } else if (suffix in BINARY_SUFFIXES) {
    format = 'BinarySI';
    base2Exp = BINARY_SUFFIXES[suffix] as number;
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    base10Exp = Number.parseInt(suffix.slice(1), 10);
  } else {
    throw new QuantityError(SUFFIX_ERROR);
  }

  let mantissa = BigInt((whole + fraction).replace(/^0+(?=\d)/, '') || '0');
  if (negative) mantissa = -mantissa;
  let scale = base10Exp - fraction.length;
  if (base2Exp > 0) mantissa *= 2n ** BigInt(base2Exp);
  if (scale < MIN_SCALE) {
    mantissa = divRoundUp(mantissa, pow10(MIN_SCALE - scale));
    scale = MIN_SCALE;
  }
  return { mantissa, scale, format };
}

function numberToText(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  // JSON numbers print as `1e+21` in JavaScript; that is still a valid quantity with an exponent.
  return String(n);
}

export function tryParseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

/** Kubernetes' message for a value that is not a quantity, or undefined when it is one. */
export function quantityError(input: unknown): string | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return QUANTITY_FORMAT_ERROR;
  try {
    parseQuantity(input);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function isZero(q: Quantity): boolean {
  return q.mantissa === 0n;
}

/** Mantissa and exponent with trailing zeros moved into the exponent, exponent a multiple of 3. */
function canonicalDecimal(q: Quantity): { number: bigint; exponent: number } {
  let number = q.mantissa;
  let exponent = q.scale;
  while (number !== 0n && number % 10n === 0n) {
    number /= 10n;
    exponent++;
  }
  const extra = ((exponent % 3) + 3) % 3;
  if (extra > 0) {
    number *= pow10(extra);
    exponent -= extra;
  }
  return { number, exponent };
}

/** The exact integer value, or undefined when the quantity has a fractional part. */
function exactInteger(q: Quantity): bigint | undefined {
  if (q.scale >= 0) return q.mantissa * pow10(q.scale);
  const d = pow10(-q.scale);
  return q.mantissa % d === 0n ? q.mantissa / d : undefined;
}

/** The canonical string (resource.Quantity.String()). */
export function formatQuantity(q: Quantity): string {
  if (q.mantissa === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const int = exactInteger(q);
    // Small or fractional binary quantities print in decimal, to avoid rounding (as Kubernetes does).
    if (int === undefined || (int > -1024n && int < 1024n)) {
      format = 'DecimalSI';
    } else {
      let number = int;
      let exponent = 0;
      while (exponent < 60 && number % 1024n === 0n) {
        number /= 1024n;
        exponent += 10;
      }
      return `${number}${BINARY_BY_EXPONENT.get(exponent) ?? ''}`;
    }
  }
  const { number, exponent } = canonicalDecimal(q);
  if (format === 'DecimalExponent') return exponent === 0 ? `${number}` : `${number}e${exponent}`;
  const suffix = DECIMAL_BY_EXPONENT.get(exponent);
  return suffix === undefined ? `${number}e${exponent}` : `${number}${suffix}`;
}

/** Parses and prints in canonical form: `canonicalQuantity('0.5') === '500m'`. Throws on invalid input. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

function scaledValue(q: Quantity, scale: number): bigint {
  const shift = q.scale - scale;
  return shift >= 0 ? q.mantissa * pow10(shift) : divRoundUp(q.mantissa, pow10(-shift));
}

/** The value as an integer, rounded up (Quantity.Value()): bytes for memory. */
export function quantityValue(q: Quantity): number {
  return Number(scaledValue(q, 0));
}

/** The value in thousandths, rounded up (Quantity.MilliValue()): millicores for CPU. */
export function quantityMilliValue(q: Quantity): number {
  return Number(scaledValue(q, -3));
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const scale = Math.min(a.scale, b.scale);
  const x = a.mantissa * pow10(a.scale - scale);
  const y = b.mantissa * pow10(b.scale - scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The sum, in the format of the first operand (as Quantity.Add keeps its receiver's format). */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const scale = Math.min(a.scale, b.scale);
  return {
    mantissa: a.mantissa * pow10(a.scale - scale) + b.mantissa * pow10(b.scale - scale),
    scale,
    format: a.format,
  };
}

/** CPU as millicores: `cpuMillicores('100m') === 100`, `cpuMillicores(2) === 2000`. Throws on invalid input. */
export function cpuMillicores(input: string | number): number {
  return quantityMilliValue(parseQuantity(input));
}

/** Memory (or storage) as bytes: `memoryBytes('1Gi') === 1073741824`. Throws on invalid input. */
export function memoryBytes(input: string | number): number {
  return quantityValue(parseQuantity(input));
}

/** Millicores in canonical form: 1500 → `1500m`, 2000 → `2`. */
export function formatMillicores(milli: number): string {
  return formatQuantity({ mantissa: BigInt(Math.round(milli)), scale: -3, format: 'DecimalSI' });
}

/** Bytes in canonical binary form: 1073741824 → `1Gi`, 1000 → `1000`. */
export function formatBytes(bytes: number): string {
  return formatQuantity({ mantissa: BigInt(Math.round(bytes)), scale: 0, format: 'BinarySI' });
}
