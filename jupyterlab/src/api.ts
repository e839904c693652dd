// The nb2prod server API (jupyterlab/nb2prod_lab): typed requests and the JSON it returns.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** One finding of `nb2prod check --format json` (document version 1). */
export interface IFinding {
  code: string;
  severity: string;
  /** 0-based index over all cells of the saved file, markdown included. */
  cell: number | null;
  cell_id: string | null;
  line: number | null;
  column: number | null;
  names: string[];
  message: string;
  /** Other places of the same cause (later uses of a name, cells a late run put out of order). */
  related?: IRelated[];
  /** True or false once `check --confirm` ran the notebook; null (or absent) otherwise. */
  confirmed?: boolean | null;
}

/** One entry of a finding's `related` list. */
export interface IRelated {
  cell: number;
  cell_id: string;
  line: number;
  column: number;
  note: string;
}

export interface ICheckedNotebook {
  path: string;
  findings: IFinding[];
  error: { kind: string; message: string; cell: number | null } | null;
}

export interface ICheckDocument {
  version: number;
  notebooks: ICheckedNotebook[];
}

export type JobKind = 'convert' | 'verify';
/** 'queued': waiting for a free slot (FIFO, `position` 1 is next); it may be cancelled there. */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface IJobResult {
  out_dir: string;
  files: string[];
  /** 'equivalent', 'differs', 'unverified' or 'not-verified' (a newer server may add others). */
  verdict: string;
  report: string | null;
  /**
   * nb2prod-run.html in the package folder: the notebook as the fresh run left it, the cells
   * whose outputs disagree with the saved ones marked. Null (or absent, from an older server)
   * when the run wrote no page.
   */
  run_page?: string | null;
  functions: { function: string; module: string; verdict: string }[];
  first_divergence: { function: string; variable: string; detail: string } | null;
  findings: IFinding[];
  /**
   * What convert made of train.py and predict.py, and why not; null when the notebook fits
   * nothing (absent from an older server).
   */
  production?: IProduction | null;
  /** The predict path's verdict; null when no predict check ran (no model, or not verified). */
  predict?: IPredictCheck | null;
  /** The package's artifact, or how to train one; null when there is no train.py. */
  artifact?: IArtifact | null;
}

/** `production` of nb2prod-report.json (`nb2prod.api.production`). */
export interface IProduction {
  train: boolean;
  predict: boolean;
  /** The objects the artifact saves, the model last. */
  fitted: string[];
  /** The names the metrics are recorded under. */
  metrics: string[];
  /** The frames predict takes. */
  inputs: string[];
  /** Why there is no train.py or predict.py, each naming the statement. */
  reasons: string[];
  notes: string[];
}

/** predict() on the rows the notebook scored, against the notebook's fresh run. */
export interface IPredictCheck {
  /** 'equivalent', 'differs' or 'unverified'. */
  verdict: string;
  /** Why it differs or is unverified; '' when equivalent. */
  reason: string;
  rows: number;
  seconds: number;
  compared: { name: string; verdict: string; detail: string }[];
}

/** `metadata.json` of an artifact `train` saved (the generated artifact.py writes it). */
export interface IArtifactMetadata {
  version: string;
  created: string;
  package: string;
  notebook_sha256: string;
  python: string;
  libraries: Record<string, string>;
  data?: {
    files?: { path: string; size: number; sha256: string }[];
    frames?: { name: string; shape: number[]; columns: { name: string; dtype: string }[] }[];
  };
  config?: Record<string, unknown>;
  /** A metric that is not finite is stored as text ('nan'). */
  metrics: Record<string, number | string>;
  features?: { name: string; dtype: string }[];
}

/** Where the package's artifacts go, the command that trains one, the newest one. */
export interface IArtifact {
  package: string;
  /** The folder `train` saves to when run with the command below. */
  root: string;
  /** Run from the server's root (a JupyterLab terminal): trains and saves an artifact. */
  command: string;
  latest: { path: string; metadata: IArtifactMetadata } | null;
  /** The newest metadata.json cannot be read (names the file). */
  error: string | null;
}

export interface IJob {
  id: string;
  kind: JobKind;
  path: string;
  state: JobState;
  /** 1-based place in the server's queue while queued; null (or absent) otherwise. */
  position?: number | null;
  progress: { done: number; total: number; stage: string };
  result: IJobResult | null;
  error: { message: string } | null;
}

/** An error answer of the server, carrying its one-line message. */
export class ServerError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

/** Call `nb2prod/<endpoint>` with the server's token and XSRF cookie; return the JSON body. */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'nb2prod', endpoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    // The server's message names the file (and cell); fall back to the HTTP reason.
    const message =
      messageOf(body) ||
      `nb2prod: ${response.status} ${response.statusText} from ${endpoint}`;
    throw new ServerError(message, response.status);
  }
  return body as T;
}

/** The `message` string of an error body, or '' when there is none. */
function messageOf(body: unknown): string {
  return typeof body === 'object' &&
    body !== null &&
    'message' in body &&
    typeof body.message === 'string'
    ? body.message
    : '';
}

function post<T>(endpoint: string, body: object): Promise<T> {
  return requestAPI<T>(endpoint, { method: 'POST', body: JSON.stringify(body) });
}

export function check(path: string): Promise<ICheckDocument> {
  return post<ICheckDocument>('check', { path });
}

export function startConvert(path: string): Promise<{ job: string }> {
  return post<{ job: string }>('convert', { path, verify: true });
}

/** Where one top-level statement goes (`nb2prod.api.StatementView`). */
export interface IPlannedStatement {
  /** 0-based over all cells, markdown included. */
  cell: number;
  cell_id: string;
  position: number;
  /** 1-based first and last line in the cell. */
  line: number;
  end_line: number;
  /** data, features, model, business, config, exploration or import. */
  role: string;
  /** False: left out of the package. */
  kept: boolean;
  function: string | null;
  module: string | null;
  reason: string;
  code: string;
}

export interface IPlannedFunction {
  name: string;
  module: string;
  role: string;
  params: string[];
  returns: string[];
  config: string[];
  cells: number[];
}

export interface IConfigField {
  name: string;
  field: string;
  value: string;
  type: string;
  cell: number;
}

/** The plan `convert` follows (`nb2prod.api.PlanView.to_json()`). */
export interface IPlan {
  notebook: string;
  package: string;
  modules: string[];
  functions: IPlannedFunction[];
  config: IConfigField[];
  statements: IPlannedStatement[];
  left_out: IPlannedStatement[];
  warnings: string[];
}

export interface IPlanError {
  kind: string;
  message: string;
  cell: number | null;
}

export interface IFileChange {
  path: string;
  status: 'added' | 'removed' | 'changed';
  diff: string;
}

/** What convert would write, diffed against the package on disk; nothing is written. */
export interface IPreview {
  plan: IPlan;
  out_dir: string;
  exists: boolean;
  files: string[];
  changes: IFileChange[];
}

export function plan(
  path: string
): Promise<{ plan: IPlan | null; error: IPlanError | null }> {
  return post('plan', { path });
}

export function preview(
  path: string
): Promise<{ preview: IPreview | null; error: IPlanError | null }> {
  return post('preview', { path });
}

export function startVerify(path: string): Promise<{ job: string }> {
  return post<{ job: string }>('verify', { path });
}

/** The package's artifact as it is on disk now (after the author trained, say). */
export function artifact(
  path: string,
  packageDir: string
): Promise<{ artifact: IArtifact | null }> {
  return post('artifact', { path, package: packageDir });
}

export function getJob(id: string): Promise<IJob> {
  return requestAPI<IJob>(`jobs/${encodeURIComponent(id)}`);
}

export function cancelJob(id: string): Promise<{ state: string }> {
  return requestAPI<{ state: string }>(`jobs/${encodeURIComponent(id)}`, {
    method: 'DELETE'
  });
}
