// Pure panel state: what the side panel says about a job and a preview (unit-tested, vitest).
import type {
  IArtifactMetadata,
  IJob,
  IJobResult,
  IPredictCheck,
  IPreview,
  IProduction
} from './api';
import { queuePlace } from './roles';

/** Queued or running: the job can still be cancelled, and no other one starts. */
export function isActive<T extends Pick<IJob, 'state'>>(
  job: T | null | undefined
): job is T {
  return job?.state === 'queued' || job?.state === 'running';
}

/** The job's heading: "Convert · running", "Verify · queued (2nd in line)". */
export function jobHeading(job: Pick<IJob, 'kind' | 'state' | 'position'>): string {
  const kind = job.kind === 'convert' ? 'Convert' : 'Verify';
  const state = job.state === 'queued' ? `queued (${queuePlace(job.position)})` : job.state;
  return `${kind} · ${state}`;
}

/** Progress shown under a running job: "running the notebook and the package 3/10". */
export function progressText(job: Pick<IJob, 'progress'>): string {
  const { done, total, stage } = job.progress;
  return total > 0 ? `${stage} ${done}/${total}` : stage;
}

export interface IPreviewSummary {
  /** "Writes 13 files to dir/pkg" or "Replaces dir/pkg: 2 changed, 1 added, 0 removed". */
  headline: string;
  /** Nothing would change on disk: accepting only re-verifies. */
  unchanged: boolean;
  functions: string[];
  config: string[];
  leftOut: string[];
}

/** What the preview shows before anything is written. */
export function previewSummary(preview: IPreview): IPreviewSummary {
  const count = (status: string) => preview.changes.filter(c => c.status === status).length;
  const headline = preview.exists
    ? `Replaces ${preview.out_dir}: ${count('changed')} changed, ${count('added')} added, ${count('removed')} removed`
    : `Writes ${preview.files.length} files to ${preview.out_dir}`;
  const plan = preview.plan;
  return {
    headline,
    unchanged: preview.exists && preview.changes.length === 0,
    functions: plan.functions.map(
      f => `${f.module}.${f.name}(${f.params.join(', ')}) → ${f.returns.join(', ') || 'None'}`
    ),
    config: plan.config.map(c => `${c.field}: ${c.type} = ${c.value}`),
    leftOut: plan.left_out.map(s => `cell ${s.cell}:${s.line} ${s.code || '(magic)'}: ${s.reason}`)
  };
}

/** One line of the train/predict summary: a status word (for tests and styles) and its text. */
export interface IStatusLine {
  status: string;
  text: string;
}

export interface IProductionSummary {
  /** train.py made ('made') or not ('missing'), and why not. */
  trainFile: IStatusLine;
  /** What verification saw of train(): 'trained', 'failed', 'not-run' or 'not-verified'. */
  train: IStatusLine;
  /** predict.py made ('made') or not ('missing'), and why not. */
  predictFile: IStatusLine;
  /** The predict path's verdict: 'equivalent', 'differs', 'unverified' or 'not-verified'. */
  predict: IStatusLine;
}

/** The reason verify gives when train() itself failed (nb2prod/verify/predict_path.py). */
const TRAIN_FAILED = 'train() failed';

/**
 * What the panel says of train and predict after a convert or verify; null when the notebook
 * fits nothing (or an older server did not say).
 */
export function productionSummary(
  result: Pick<IJobResult, 'verdict' | 'production' | 'predict'>
): IProductionSummary | null {
  const made = result.production;
  if (!made) {
    return null;
  }
  const why = (reasons: string[]) => reasons.join('; ') || 'the scoring slice cannot be made';
  const fitted = made.fitted.join(', ');
  const metrics = made.metrics.length ? `; records ${made.metrics.join(', ')}` : '';
  const trainFile: IStatusLine = made.train
    ? { status: 'made', text: `train.py fits and saves ${fitted}${metrics}` }
    : { status: 'missing', text: `No train.py: ${why(made.reasons)}` };
  const predictFile: IStatusLine = made.predict
    ? { status: 'made', text: `predict.py scores new rows shaped like ${made.inputs[0] ?? 'the input'}` }
    : { status: 'missing', text: `No predict.py: ${why(made.reasons)}` };
  const check = result.predict;
  let predict: IStatusLine;
  let train: IStatusLine;
  if (result.verdict === 'not-verified') {
    predict = { status: 'not-verified', text: 'Predict path: not verified (converted without verify)' };
    train = { status: 'not-verified', text: 'train() not run: converted without verify' };
  } else if (!check) {
    predict = { status: 'unverified', text: 'Predict path: unverified: no predict check ran' };
    train = { status: 'not-run', text: 'train() did not run in the verification' };
  } else {
    predict = { status: check.verdict, text: predictLine(check) };
    if (check.reason.startsWith(TRAIN_FAILED)) {
      train = { status: 'failed', text: `train() failed in the verification${check.reason.slice(TRAIN_FAILED.length)}` };
    } else if (check.verdict === 'equivalent' || check.verdict === 'differs' || check.rows > 0) {
      train = { status: 'trained', text: 'train() ran in the verification (its artifact in a scratch folder, removed)' };
    } else {
      train = { status: 'not-run', text: 'train() did not run in the verification' };
    }
  }
  if (!made.train) {
    train = { status: 'not-run', text: 'Nothing to train' };
  }
  return { trainFile, train, predictFile, predict };
}

/** As the report says it: "Predict path: equivalent (proba_test on the 400 rows the notebook scored)". */
export function predictLine(check: IPredictCheck): string {
  if (check.verdict === 'equivalent') {
    const names = check.compared.filter(c => c.verdict === 'equivalent').map(c => c.name);
    return `Predict path: equivalent (${names.join(', ')} on the ${check.rows} rows the notebook scored)`;
  }
  return `Predict path: ${check.verdict}: ${check.reason}`;
}

/** A metric as the panel shows it: four decimals at most, text ('nan') as it is. */
export function formatMetric(value: number | string): string {
  return typeof value === 'number' ? String(Math.round(value * 1e4) / 1e4) : value;
}

/** Label/value rows of an artifact's metadata, in the order a reader checks them. */
export function artifactRows(metadata: IArtifactMetadata): [string, string][] {
  const rows: [string, string][] = [
    ['Version', metadata.version],
    ['Created', metadata.created]
  ];
  const metrics = Object.entries(metadata.metrics ?? {});
  rows.push([
    'Metrics',
    metrics.length ? metrics.map(([k, v]) => `${k} = ${formatMetric(v)}`).join(', ') : 'none recorded'
  ]);
  const libraries = Object.entries(metadata.libraries ?? {}).map(([k, v]) => `${k} ${v}`);
  rows.push(['Python and libraries', [`Python ${metadata.python}`, ...libraries].join(', ')]);
  const files = (metadata.data?.files ?? []).map(f => `${f.path} (sha256 ${f.sha256.slice(0, 12)})`);
  const frames = (metadata.data?.frames ?? []).map(
    f => `${f.name}: ${f.shape.join(' × ')}, ${f.columns.length} columns`
  );
  rows.push(['Training data', [...files, ...frames].join('; ') || 'not recorded']);
  const features = metadata.features ?? [];
  rows.push([
    `Features (${features.length})`,
    features.map(f => `${f.name}: ${f.dtype}`).join(', ') || 'not recorded'
  ]);
  const config = Object.entries(metadata.config ?? {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  rows.push(['Config', config.join(', ') || 'none']);
  rows.push(['Notebook sha256', metadata.notebook_sha256]);
  return rows;
}

/** Before any artifact exists: what `train` would record. */
export function trainWouldRecord(production: Pick<IProduction, 'fitted' | 'metrics'>): string {
  const metrics = production.metrics.length ? ` (${production.metrics.join(', ')})` : '';
  return (
    `No artifact yet. train saves ${production.fitted.join(', ')} with metadata.json: the Python ` +
    `and library versions, a fingerprint of the training data, the config values, the ` +
    `metrics${metrics}, the features in matrix order and the notebook's hash.`
  );
}
