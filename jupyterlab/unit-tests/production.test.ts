// The train/predict summary and the artifact's rows the panel shows after a convert.
import { describe, expect, it } from 'vitest';

import type { IArtifactMetadata, IJobResult, IPredictCheck, IProduction } from '../src/api';
import { artifactRows, formatMetric, productionSummary, trainWouldRecord } from '../src/state';

const made: IProduction = {
  train: true,
  predict: true,
  fitted: ['statistics', 'model'],
  metrics: ['auc'],
  inputs: ['df'],
  reasons: [],
  notes: []
};

function check(over: Partial<IPredictCheck>): IPredictCheck {
  return { verdict: 'equivalent', reason: '', rows: 400, seconds: 1.2, compared: [], ...over };
}

type Result = Pick<IJobResult, 'verdict' | 'production' | 'predict'>;

function result(over: Partial<Result>): Result {
  return { verdict: 'equivalent', production: made, predict: null, ...over };
}

describe('train and predict', () => {
  it('says nothing when the notebook fits no model, or the server is older', () => {
    expect(productionSummary(result({ production: null }))).toBeNull();
    expect(productionSummary({ verdict: 'equivalent' })).toBeNull();
  });

  it('gives the predict path verdict as the report words it, naming what was compared', () => {
    const compared = [
      { name: 'proba_test', verdict: 'equivalent', detail: '' },
      { name: 'decision', verdict: 'equivalent', detail: '' },
      { name: 'fig', verdict: 'display', detail: '' }
    ];
    const summary = productionSummary(result({ predict: check({ compared }) }))!;
    expect(summary.predict).toEqual({
      status: 'equivalent',
      text: 'Predict path: equivalent (proba_test, decision on the 400 rows the notebook scored)'
    });
    expect(summary.train.status).toBe('trained');
    expect(summary.trainFile).toEqual({
      status: 'made',
      text: 'train.py fits and saves statistics, model; records auc'
    });
    expect(summary.predictFile.text).toBe('predict.py scores new rows shaped like df');
  });

  it('never calls an unproved predict path equivalent, and gives the reason', () => {
    const unverified = productionSummary(
      result({
        verdict: 'equivalent',
        predict: check({ verdict: 'unverified', rows: 0, reason: 'the notebook never scores held-out rows' })
      })
    )!;
    expect(unverified.predict).toEqual({
      status: 'unverified',
      text: 'Predict path: unverified: the notebook never scores held-out rows'
    });
    expect(unverified.train.status).toBe('not-run');
    const differs = productionSummary(
      result({ predict: check({ verdict: 'differs', reason: 'proba_test: 3 of 400 rows differ' }) })
    )!;
    expect(differs.predict.status).toBe('differs');
    expect(differs.predict.text).toContain('proba_test: 3 of 400 rows differ');
    expect(differs.train.status).toBe('trained'); // it trained; its predictions disagree
  });

  it('tells a failing train() from a predict path that could not be checked', () => {
    const summary = productionSummary(
      result({ predict: check({ verdict: 'unverified', rows: 0, reason: "train() failed: KeyError: 'income'" }) })
    )!;
    expect(summary.train).toEqual({
      status: 'failed',
      text: "train() failed in the verification: KeyError: 'income'"
    });
    expect(summary.predict.status).toBe('unverified');
  });

  it('says why a file was not made, and that a convert without verify proved nothing', () => {
    const reasons = ['cell 9, line 2: y is read to score (target-read)'];
    const summary = productionSummary(
      result({
        verdict: 'not-verified',
        production: { ...made, predict: false, reasons }
      })
    )!;
    expect(summary.predictFile).toEqual({ status: 'missing', text: `No predict.py: ${reasons[0]}` });
    expect(summary.predict.status).toBe('not-verified');
    expect(summary.train.status).toBe('not-verified');
    const none = productionSummary(
      result({ production: { ...made, train: false, predict: false, fitted: [], reasons: [] } })
    )!;
    expect(none.trainFile.status).toBe('missing');
    expect(none.train.text).toBe('Nothing to train');
  });
});

describe('the artifact', () => {
  const metadata: IArtifactMetadata = {
    version: '20261203T221410.410Z-ab4faa18',
    created: '2026-12-03T22:14:10.410+00:00',
    package: 'credit_approval',
    notebook_sha256: '14a6f34a',
    python: '3.11.7',
    libraries: { numpy: '2.4.6', 'scikit-learn': '1.9.1' },
    data: {
      files: [{ path: 'data/applicants.csv', size: 10, sha256: '0123456789abcdef' }],
      frames: [{ name: 'df', shape: [2000, 9], columns: [{ name: 'income', dtype: 'float64' }] }]
    },
    config: { seed: 42, data_dir: 'data' },
    metrics: { auc: 0.7133681015940363, gini: 'nan' },
    features: [
      { name: 'income', dtype: 'float64' },
      { name: 'age', dtype: 'int64' }
    ]
  };

  it('lists what the metadata records, metrics rounded, text metrics as they are', () => {
    const rows = Object.fromEntries(artifactRows(metadata));
    expect(rows['Version']).toBe(metadata.version);
    expect(rows['Metrics']).toBe('auc = 0.7134, gini = nan');
    expect(rows['Python and libraries']).toBe('Python 3.11.7, numpy 2.4.6, scikit-learn 1.9.1');
    expect(rows['Training data']).toBe('data/applicants.csv (sha256 0123456789ab); df: 2000 × 9, 1 columns');
    expect(rows['Features (2)']).toBe('income: float64, age: int64');
    expect(rows['Config']).toBe('seed = 42, data_dir = "data"');
  });

  it('copes with metadata that records less', () => {
    const rows = Object.fromEntries(
      artifactRows({ ...metadata, data: undefined, features: undefined, config: undefined, metrics: {} })
    );
    expect(rows['Metrics']).toBe('none recorded');
    expect(rows['Training data']).toBe('not recorded');
    expect(rows['Features (0)']).toBe('not recorded');
  });

  it('says what train would record before there is an artifact', () => {
    const text = trainWouldRecord(made);
    expect(text).toContain('train saves statistics, model');
    expect(text).toContain('metrics (auc)');
    expect(formatMetric(1)).toBe('1');
  });
});
