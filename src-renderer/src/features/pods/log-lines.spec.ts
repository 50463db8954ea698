import { describe, expect, it } from 'vitest';
import { highlight, LineSplitter, LogBuffer, searchLines } from './log-lines';

describe('LineSplitter', () => {
  it('completes lines across chunks, however the bytes were cut', () => {
    const s = new LineSplitter();
    expect(s.push('first li')).toEqual([]);
    expect(s.push('ne\nsecond\r\nthi')).toEqual(['first line', 'second']);
    expect(s.push('rd\n\n')).toEqual(['third', '']);
    expect(s.push('tail without newline')).toEqual([]);
    expect(s.flush()).toEqual(['tail without newline']);
    expect(s.flush()).toEqual([]);
  });
});

describe('LogBuffer', () => {
  it('keeps the newest lines and counts the dropped ones, with stable numbers', () => {
    const b = new LogBuffer(3);
    b.append(['a', 'b']);
    b.append(['c', 'd', 'e']);
    expect(b.lines.map((l) => l.text)).toEqual(['c', 'd', 'e']);
    expect(b.lines.map((l) => l.n)).toEqual([3, 4, 5]);
    expect(b.dropped).toBe(2);
    b.clear();
    expect([b.lines.length, b.dropped]).toEqual([0, 0]);
  });
});

describe('search and highlight', () => {
  it('marks every case-insensitive occurrence', () => {
    expect(highlight('GET /health 200 get', 'get')).toEqual([
      { text: 'GET', match: true },
      { text: ' /health 200 ', match: false },
      { text: 'get', match: true },
    ]);
    expect(highlight('nothing here', 'zzz')).toEqual([{ text: 'nothing here', match: false }]);
    expect(highlight('', '')).toEqual([{ text: '', match: false }]);
    expect(highlight('aaa', 'a').filter((s) => s.match)).toHaveLength(3);
  });

  it('counts matching lines and can show only them', () => {
    const b = new LogBuffer();
    b.append(['started', 'ERROR disk full', 'ok', 'error again']);
    expect(searchLines(b.lines, 'error', false)).toMatchObject({ matches: 2 });
    expect(searchLines(b.lines, 'error', false).shown).toHaveLength(4);
    expect(searchLines(b.lines, 'error', true).shown.map((l) => l.text)).toEqual([
      'ERROR disk full',
      'error again',
    ]);
    expect(searchLines(b.lines, '', true).shown).toHaveLength(4);
  });
});
