// The side panel's state: job headings through the queue, and the preview's summary.
import { describe, expect, it } from 'vitest';

import type { IJob, IPreview } from '../src/api';
import { isActive, jobHeading, previewSummary, progressText } from '../src/state';

function job(over: Partial<IJob>): IJob {
  return {
    id: 'j',
    kind: 'convert',
    path: 'nb.ipynb',
    state: 'running',
    position: null,
    progress: { done: 0, total: 0, stage: 'starting' },
    result: null,
    error: null,
    ...over
  };
}

describe('jobs', () => {
  it('is active while queued or running, and only then', () => {
    expect(['queued', 'running', 'done', 'failed', 'cancelled'].map(s => isActive(job({ state: s as IJob['state'] })))).toEqual([
      true,
      true,
      false,
      false,
      false
    ]);
    expect(isActive(null)).toBe(false);
  });

  it('shows the place in the queue, then the progress', () => {
    expect(jobHeading(job({ state: 'queued', position: 3 }))).toBe('Convert · queued (3rd in line)');
    expect(jobHeading(job({ kind: 'verify', state: 'queued', position: 1 }))).toBe('Verify · queued (next in line)');
    expect(jobHeading(job({ state: 'done' }))).toBe('Convert · done');
    expect(progressText(job({ progress: { done: 3, total: 10, stage: 'running the notebook and the package' } }))).toBe(
      'running the notebook and the package 3/10'
    );
    expect(progressText(job({}))).toBe('starting');
  });
});

function preview(over: Partial<IPreview>): IPreview {
  return {
    out_dir: 'dir/pkg',
    exists: false,
    files: ['pyproject.toml', 'src/pkg/model.py'],
    changes: [],
    plan: {
      notebook: 'dir/nb.ipynb',
      package: 'pkg',
      modules: ['data', 'model'],
      functions: [
        { name: 'load_data', module: 'data', role: 'data', params: [], returns: ['df'], config: ['DATA_PATH'], cells: [1] },
        { name: 'report', module: 'model', role: 'model', params: ['df', 'clf'], returns: [], config: [], cells: [4] }
      ],
      config: [{ name: 'DATA_PATH', field: 'data_path', value: "'x.csv'", type: 'str', cell: 0 }],
      statements: [],
      left_out: [
        { cell: 5, cell_id: 'c5', position: 0, line: 1, end_line: 1, role: 'exploration', kept: false, function: null, module: null, reason: 'display, print or plot only', code: 'df.head()' }
      ],
      warnings: []
    },
    ...over
  };
}

describe('previewSummary', () => {
  it('lists functions with parameters and returns, config and what is left out', () => {
    const summary = previewSummary(preview({}));
    expect(summary.headline).toBe('Writes 2 files to dir/pkg');
    expect(summary.unchanged).toBe(false);
    expect(summary.functions).toEqual(['data.load_data() → df', 'model.report(df, clf) → None']);
    expect(summary.config).toEqual(["data_path: str = 'x.csv'"]);
    expect(summary.leftOut).toEqual(['cell 5:1 df.head(): display, print or plot only']);
  });

  it('counts the changes over an existing package', () => {
    const changes: IPreview['changes'] = [
      { path: 'a.py', status: 'changed', diff: '' },
      { path: 'b.py', status: 'changed', diff: '' },
      { path: 'c.py', status: 'added', diff: '' }
    ];
    expect(previewSummary(preview({ exists: true, changes })).headline).toBe(
      'Replaces dir/pkg: 2 changed, 1 added, 0 removed'
    );
    expect(previewSummary(preview({ exists: true })).unchanged).toBe(true);
  });
});
