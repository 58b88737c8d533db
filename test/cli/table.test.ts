import { describe, expect, test } from 'bun:test'
import { formatFields, formatList, formatTable } from '../../src/cli/table'

describe('formatTable', () => {
  test('pads every column but the last to its widest cell, two spaces apart', () => {
    const text = formatTable(
      ['NAME', 'SOURCE', 'KEY'],
      [
        ['ci', 'api', 'sk-AbCd…wxyz'],
        ['default-team', 'config', 'sk-9f…'],
      ],
    )
    expect(text.split('\n')).toEqual([
      'NAME          SOURCE  KEY', //
      'ci            api     sk-AbCd…wxyz',
      'default-team  config  sk-9f…',
    ])
  })

  test.each<[string, string[], string[][], string]>([
    // --- edges ---
    ['no rows: headers only', ['A', 'B'], [], 'A  B'],
    ['no headers: nothing', [], [['x']], ''],
    ['short rows are padded with -', ['A', 'B'], [['x']], 'A  B\nx  -'],
    ['no trailing spaces when the last cell is empty', ['A', 'B'], [['long', '']], 'A     B\nlong'],
    ['newlines and tabs in a cell become spaces', ['A', 'B'], [['a\nb', 'c\td']], 'A    B\na b  c d'],
    ['counts "…" as one column', ['A', 'B'], [['…', 'x']], 'A  B\n…  x'],
  ])('%s', (_, headers, rows, expected) => {
    expect(formatTable(headers, rows)).toBe(expected)
  })
})

describe('formatFields', () => {
  test('aligns the values and skips undefined ones', () => {
    expect(
      formatFields([
        ['name', 'ci'],
        ['rate limit', '60 requests/min'],
        ['budget', undefined],
        ['models', '*'],
      ]),
    ).toBe('name:        ci\nrate limit:  60 requests/min\nmodels:      *')
  })

  test('nothing to show is an empty string', () => {
    expect(formatFields([['a', undefined]])).toBe('')
  })
})

describe('formatList', () => {
  test.each<[string[] | undefined, string]>([
    [undefined, '-'],
    [[], '-'],
    [['*'], '*'],
    [['a', 'b', 'c'], 'a, b, c'],
    [['a', 'b', 'c', 'd', 'e'], 'a, b, c +2 more'],
  ])('%p → %p', (items, expected) => {
    expect(formatList(items)).toBe(expected)
  })
})
