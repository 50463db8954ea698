import { describe, expect, it } from 'vitest';
import {
  annotationProblems,
  generateNameFrom,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  nameIsDNSSubdomain,
} from './validation';

describe('name formats', () => {
  it('words the subdomain error exactly like Kubernetes', () => {
    expect(isDNS1123Subdomain('Foo_bar')).toEqual([
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    expect(isDNS1123Label('a.b')[0]).toBe(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  });

  it.each([
    [isDNS1123Label, 'web-1', 0],
    [isDNS1123Label, '1web', 0],
    [isDNS1123Label, 'Web', 1],
    [isDNS1123Label, 'a'.repeat(64), 1],
    [isDNS1123Subdomain, 'a.b-c.d', 0],
    [isDNS1123Subdomain, '-a', 1],
    [isDNS1123Subdomain, 'a'.repeat(254), 1],
    [isDNS1123Subdomain, `-${'a'.repeat(254)}`, 2],
    [isDNS1035Label, 'svc-1', 0],
    [isDNS1035Label, '1svc', 1],
    [isQualifiedName, 'app.kubernetes.io/name', 0],
    [isQualifiedName, 'MyName', 0],
    [isQualifiedName, '/name', 1],
    [isQualifiedName, 'a/b/c', 1],
    [isQualifiedName, 'UPPER.case/x', 1],
    [isValidLabelValue, '', 0],
    [isValidLabelValue, 'v1.2_3', 0],
    [isValidLabelValue, '-v', 1],
    [isConfigMapKey, 'key.name', 0],
    [isConfigMapKey, '..hidden', 1],
    [isConfigMapKey, 'a b', 1],
    [isValidPortName, 'http', 0],
    [isValidPortName, 'http--x', 1],
    [isValidPortName, '8080', 1],
    [isValidIP, '10.0.0.1', 0],
    [isValidIP, '2001:db8::1', 0],
    [isValidIP, '::ffff:1.2.3.4', 0],
    [isValidIP, '10.0.0.256', 1],
    [isValidIP, '1:2:3', 1],
    [isValidCIDR, '10.244.0.0/24', 0],
    [isValidCIDR, 'fd00::/64', 0],
    [isValidCIDR, '10.0.0.0/33', 1],
  ] as const)('%o(%j) has %d problem(s)', (fn, value, count) => {
    expect(fn(value)).toHaveLength(count);
  });

  it('qualified name prefixes are reported as such', () => {
    expect(isQualifiedName('Bad_Prefix/name')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
    expect(isQualifiedName('x/')).toEqual([
      'name part must be non-empty',
      expect.stringMatching(/^name part must consist/),
    ]);
  });

  it('a generateName may end in a dash', () => {
    expect(nameIsDNSSubdomain('web-', true)).toEqual([]);
    expect(nameIsDNSSubdomain('web-', false)).toHaveLength(1);
  });

  it('generated names: prefix cut to 58, five vowel-free characters', () => {
    const name = generateNameFrom('x'.repeat(70), () => 0);
    expect(name).toBe(`${'x'.repeat(58)}bbbbb`);
    expect(generateNameFrom('web-')).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('annotations: keys checked lower-cased, 256 KiB in total', () => {
    expect(annotationProblems({ 'Example.com/Key': 'v' }).keys).toEqual([]);
    expect(annotationProblems({ 'a b': 'v' }).keys).toHaveLength(1);
    expect(annotationProblems({ big: 'x'.repeat(256 * 1024) }).tooLong).toBe(true);
    expect(annotationProblems({ big: 'x'.repeat(256 * 1024 - 3) }).tooLong).toBe(false);
  });
});
