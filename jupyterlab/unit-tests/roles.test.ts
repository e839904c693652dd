// The overlay's mapping from the library plan to what each cell shows, and steering's edits.
import { describe, expect, it } from 'vitest';

import type { IPlan, IPlannedStatement } from '../src/api';
import {
  overlayIndex,
  overlayOf,
  queuePlace,
  roleClass,
  roleTagOf,
  roleWord,
  withRoleComment,
  withRoleTag
} from '../src/roles';

function statement(over: Partial<IPlannedStatement>): IPlannedStatement {
  return {
    cell: 1,
    cell_id: 'c1',
    position: 0,
    line: 1,
    end_line: 1,
    role: 'features',
    kept: true,
    function: 'build_features',
    module: 'features',
    reason: 'computation on data (default)',
    code: 'x = 1',
    ...over
  };
}

function plan(statements: IPlannedStatement[]): IPlan {
  return {
    notebook: 'nb.ipynb',
    package: 'nb',
    modules: ['features'],
    functions: [],
    config: [],
    statements,
    left_out: statements.filter(s => !s.kept),
    warnings: []
  };
}

describe('overlayOf', () => {
  it('groups statements per cell and names each destination once, imports aside', () => {
    const overlays = overlayOf(
      plan([
        statement({ position: 0, role: 'import', function: null, code: 'import pandas as pd' }),
        statement({ position: 1, line: 2, role: 'data', function: 'load_data', reason: 'reads data with pandas.read_csv()' }),
        statement({ position: 2, line: 3, role: 'data', function: 'load_data' }),
        statement({ cell: 3, cell_id: 'c3', role: 'model', function: 'train_model', reason: 'model API clf.fit()' })
      ])
    );
    expect([...overlays.keys()]).toEqual([1, 3]);
    const first = overlays.get(1)!;
    expect(first.roles).toEqual(['data']);
    expect(first.label).toBe('data → load_data()');
    expect(first.details[1]).toBe('line 2: data → load_data(): reads data with pandas.read_csv() (x = 1)');
    expect(first.statements).toHaveLength(3);
    expect(overlays.get(3)!.label).toBe('model → train_model()');
  });

  it('says "left out" in words for exploration and dropped statements', () => {
    const overlays = overlayOf(
      plan([
        statement({ role: 'exploration', kept: false, function: null, reason: 'display, print or plot only' }),
        statement({ position: 1, line: 2, role: 'features', kept: false, function: null, reason: 'unused' }),
        statement({ position: 2, line: 3, role: 'config', function: null })
      ])
    );
    const only = overlays.get(1)!;
    expect(only.roles).toEqual(['left out', 'left out (features)', 'config']);
    expect(only.label).toBe('left out · left out (features) · config field');
  });

  it('labels a cell of imports only as imports', () => {
    const only = overlayOf(plan([statement({ role: 'import', function: null })])).get(1)!;
    expect(only.roles).toEqual(['import']);
    expect(only.label).toBe('imports');
  });
});

describe('mapping helpers', () => {
  it('finds the cell by id first, then by index', () => {
    const overlay = overlayOf(plan([statement({ cell: 2, cell_id: 'b' })])).get(2)!;
    expect(overlayIndex(overlay, ['x', 'b', 'y'])).toBe(1); // moved up: the id wins
    expect(overlayIndex(overlay, ['x', 'z', 'y'])).toBe(2);
    expect(overlayIndex(overlay, ['x'])).toBe(-1);
  });

  it('turns role words into class names and kept flags into words', () => {
    expect(roleClass('left out')).toBe('left-out');
    expect(roleClass('left out (features)')).toBe('left-out-features');
    expect(roleWord({ role: 'model', kept: true })).toBe('model');
    expect(roleWord({ role: 'exploration', kept: false })).toBe('left out');
  });
});

describe('steering', () => {
  it('sets, replaces and removes the cell role tag, keeping other tags', () => {
    expect(withRoleTag(['parameters'], 'model')).toEqual(['parameters', 'nb2prod:model']);
    expect(withRoleTag(['nb2prod:data', 'x'], 'business')).toEqual(['x', 'nb2prod:business']);
    expect(withRoleTag(['nb2prod:data', 'x'], null)).toEqual(['x']);
    expect(withRoleTag(['nb2prod:unknown'], null)).toEqual(['nb2prod:unknown']);
    expect(roleTagOf(['a', 'nb2prod:exploration'])).toBe('exploration');
    expect(roleTagOf(['nb2prod:bogus'])).toBeNull();
  });

  const cases: [string, string, number, number, Parameters<typeof withRoleComment>[2], string][] = [
    ['adds a comment line above', 'a = 1\nb = f(a)', 2, 2, 'business', 'a = 1\n# nb2prod: business\nb = f(a)'],
    ['replaces a trailing comment', 'b = f(a)  # nb2prod: data', 1, 1, 'model', 'b = f(a)  # nb2prod: model'],
    ['replaces a comment line above', '# load\n# nb2prod: data\nb = f(a)', 3, 3, 'model', '# load\n# nb2prod: model\nb = f(a)'],
    ['removes a comment line', 'a = 1\n# nb2prod: data\nb = 2', 3, 3, null, 'a = 1\nb = 2'],
    ['removes a trailing comment', 'b = f(  # nb2prod: data\n  1)', 1, 2, null, 'b = f(\n  1)'],
    ['leaves a statement without comment alone', 'a = 1', 1, 1, null, 'a = 1'],
    ['finds a comment inside a multi-line statement', 'x = dict(\n  a=1,  # nb2prod: config\n)', 1, 3, 'data', 'x = dict(\n  a=1,  # nb2prod: data\n)']
  ];
  it.each(cases)('%s', (_, source, line, end_line, role, expected) => {
    expect(withRoleComment(source, { line, end_line }, role)).toBe(expected);
  });
});

describe('queuePlace', () => {
  it.each([
    [1, 'next in line'],
    [2, '2nd in line'],
    [3, '3rd in line'],
    [4, '4th in line'],
    [11, '11th in line'],
    [22, '22nd in line'],
    [null, 'waiting for a slot']
  ])('%s -> %s', (position, text) => {
    expect(queuePlace(position)).toBe(text);
  });
});
