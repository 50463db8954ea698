import { describe, expect, it } from 'vitest';
import {
  canonicalQuantity,
  compareQuantities,
  cpuMillicores,
  formatBytes,
  formatMillicores,
  memoryBytes,
  parseQuantity,
  QUANTITY_FORMAT_ERROR,
  quantityError,
} from './quantity';

describe('canonical form (as the API server stores quantities)', () => {
  it.each([
    ['100m', '100m'],
    ['0.5', '500m'],
    ['1', '1'],
    ['1.0', '1'],
    ['1000', '1k'],
    ['1500m', '1500m'],
    ['1.5', '1500m'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1.5Gi', '1536Mi'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['129M', '129M'],
    ['123Mi', '123Mi'],
    ['1k', '1k'],
    ['1e3', '1e3'],
    ['0.5Ki', '512'],
    ['0', '0'],
    ['-100m', '-100m'],
    ['0.0000000001', '1n'],
    ['+2', '2'],
    ['.5', '500m'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  it('accepts JSON numbers like Kubernetes does', () => {
    expect(canonicalQuantity(2)).toBe('2');
    expect(canonicalQuantity(0.25)).toBe('250m');
    expect(canonicalQuantity(128974848)).toBe('128974848');
  });
});

describe('values', () => {
  it.each([
    ['100m', 100],
    ['0.5', 500],
    ['2', 2000],
    ['1.0001', 1001], // rounded up, as MilliValue does
    ['250u', 1],
  ])('cpu %s = %d millicores', (input, milli) => {
    expect(cpuMillicores(input)).toBe(milli);
  });

  it.each([
    ['1Gi', 1073741824],
    ['123Mi', 128974848],
    ['129e6', 129000000],
    ['1k', 1000],
    ['1Ki', 1024],
    ['0.5', 1], // Value() rounds up
  ])('memory %s = %d bytes', (input, bytes) => {
    expect(memoryBytes(input)).toBe(bytes);
  });

  it('compares across formats', () => {
    expect(compareQuantities(parseQuantity('1Gi'), parseQuantity('1073741824'))).toBe(0);
    expect(compareQuantities(parseQuantity('500m'), parseQuantity('0.5'))).toBe(0);
    expect(compareQuantities(parseQuantity('1'), parseQuantity('999m'))).toBe(1);
    expect(compareQuantities(parseQuantity('1M'), parseQuantity('1Mi'))).toBe(-1);
  });

  it('formats numbers back', () => {
    expect(formatMillicores(1500)).toBe('1500m');
    expect(formatMillicores(2000)).toBe('2');
    expect(formatBytes(1073741824)).toBe('1Gi');
    // Below 1024 a binary quantity prints in decimal, as Kubernetes does.
    expect(formatBytes(1000)).toBe('1k');
    expect(formatBytes(1536)).toBe('1536');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3Mi');
  });
});

describe('invalid quantities', () => {
  it.each([
    ['', QUANTITY_FORMAT_ERROR],
    ['abc', QUANTITY_FORMAT_ERROR],
    ['1 Gi', QUANTITY_FORMAT_ERROR],
    ['1GB', QUANTITY_FORMAT_ERROR],
    ['1.2.3', 'unable to parse numeric part of quantity'],
    ['.', 'unable to parse numeric part of quantity'],
    ['1K', "unable to parse quantity's suffix"],
    ['1mi', "unable to parse quantity's suffix"],
    ['1e', "unable to parse quantity's suffix"],
  ])('%j: %s', (input, message) => {
    expect(quantityError(input)).toBe(message);
    expect(() => parseQuantity(input)).toThrow(message);
  });

  it('uses the regular expression Kubernetes quotes', () => {
    expect(QUANTITY_FORMAT_ERROR).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(quantityError({})).toBe(QUANTITY_FORMAT_ERROR);
  });
});
