// The side panel: findings of the current notebook grouped by rule, convert/verify jobs and results.
import { INotebookTracker } from '@jupyterlab/notebook';
import { Clipboard } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { IArtifact, IFinding, IJob, IJobResult, IPreview } from './api';
import { Controller, INotebookState } from './controller';
import { atRelated, relatedOf } from './markers';
import {
  artifactRows,
  isActive,
  jobHeading,
  previewSummary,
  productionSummary,
  progressText,
  trainWouldRecord
} from './state';

/** Enter or Space on a focusable non-button element acts as a click. */
function onActivate(action: () => void) {
  return (event: React.KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      event.stopPropagation();
      action();
    }
  };
}

/**
 * Whether focus may move within the panel by itself: nobody holds it, or a disabled control of
 * the panel does (the button that had it went away or was disabled). Never taken from the
 * notebook or anywhere else.
 */
function focusIsFree(within: Element | null | undefined): boolean {
  const focused = document.activeElement;
  return (
    !focused ||
    focused === document.body ||
    (!!within && within.contains(focused) && (focused as HTMLButtonElement).disabled === true)
  );
}

/** Related cells a finding lists by number before "and N more". */
const SHOWN_RELATED = 12;

export interface IPanelOptions {
  controller: Controller;
  tracker: INotebookTracker;
  /** Open a file of the server's root in JupyterLab. */
  open: (path: string) => void;
}

export class Nb2prodPanel extends ReactWidget {
  constructor(private readonly _options: IPanelOptions) {
    super();
    this.id = 'nb2prod-panel';
    this.addClass('nb2prod-Panel');
    this.node.dataset.testid = 'nb2prod-panel';
    const update = () => this.update();
    _options.tracker.currentChanged.connect(update);
    _options.controller.changed.connect((_, panel) => {
      if (panel === _options.tracker.currentWidget) {
        this.update();
      }
    });
  }

  protected render(): JSX.Element {
    const { controller, tracker, open } = this._options;
    const panel = tracker.currentWidget;
    if (!panel) {
      return (
        <div className="nb2prod-empty">
          Open a notebook and press “Convert to production”.
        </div>
      );
    }
    const state = controller.state(panel);
    const running = isActive(state?.job) || state?.previewing === true;
    return (
      <div className="nb2prod-body">
        {/* not a <header>: outside a section that is a banner landmark, and the page has one */}
        <div className="nb2prod-header">
          <div className="nb2prod-title" title={panel.context.localPath}>
            {panel.context.localPath}
          </div>
          <div className="nb2prod-actions">
            <button
              className="jp-mod-styled"
              data-testid="nb2prod-check"
              disabled={state?.checking}
              onClick={() => void controller.check(panel)}
            >
              Check
            </button>
            <button
              className="jp-mod-styled jp-mod-accept"
              data-testid="nb2prod-convert"
              disabled={running}
              onClick={() => void controller.convert(panel)}
            >
              Convert
            </button>
            <button
              className="jp-mod-styled"
              data-testid="nb2prod-verify"
              disabled={running}
              onClick={() => void controller.verify(panel)}
            >
              Verify
            </button>
          </div>
        </div>
        {state?.previewing && (
          <div className="nb2prod-summary" data-testid="nb2prod-previewing" role="status">
            Planning the package…
          </div>
        )}
        {state?.preview && (
          <Preview
            preview={state.preview}
            onAccept={() => void controller.accept(panel)}
            onCancel={() => {
              controller.dismiss(panel);
              // back where the author asked for the preview (enabled while it shows)
              this.node.querySelector<HTMLElement>('[data-testid=nb2prod-convert]')?.focus();
            }}
            onOpen={open}
          />
        )}
        {state?.job && (
          <Job
            job={state.job}
            onCancel={() => void controller.cancel(panel)}
            onOpen={open}
            onSelect={f => void controller.select(panel, f)}
            onLookAgain={() => void controller.lookForArtifact(panel)}
            lookingAgain={state.lookingForArtifact}
          />
        )}
        <Findings state={state} onSelect={f => void controller.select(panel, f)} />
        <PlanStatus state={state} />
      </div>
    );
  }
}

/** The role overlay's legend and state: roles are words on the cells, the colours only help. */
function PlanStatus(props: { state: INotebookState | undefined }): JSX.Element | null {
  const { state } = props;
  if (!state || (!state.plan && !state.planError)) {
    return null;
  }
  return (
    <section
      className="nb2prod-plan"
      data-testid="nb2prod-plan"
      data-plans={state.plans}
      aria-label="nb2prod: where each cell goes"
    >
      <h3>Where each cell goes</h3>
      {state.planError ? (
        <div className="nb2prod-error">{state.planError.message}</div>
      ) : (
        <>
          <div className="nb2prod-summary">
            {state.plan!.functions.length} functions in{' '}
            {state.plan!.modules.join(', ') || 'no modules'};{' '}
            {state.plan!.left_out.length} statements left out. Each code cell's badge names its
            role; change it there, then save.
          </div>
          <ul className="nb2prod-legend">
            {['data', 'features', 'model', 'business', 'config', 'left out'].map(word => (
              <li key={word} className={`nb2prod-role-${word.replace(' ', '-')}`}>
                {word}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Preview(props: {
  preview: IPreview;
  onAccept: () => void;
  onCancel: () => void;
  onOpen: (path: string) => void;
}): JSX.Element {
  const { preview, onAccept, onCancel } = props;
  const summary = previewSummary(preview);
  const accept = React.useRef<HTMLButtonElement>(null);
  // A dialog takes the focus when it opens (Enter accepts, Tab reaches Cancel, Escape cancels),
  // unless the author has moved on to the notebook meanwhile.
  React.useEffect(() => {
    if (focusIsFree(accept.current?.closest('.nb2prod-Panel'))) {
      accept.current?.focus();
    }
  }, [preview]);
  return (
    <section
      className="nb2prod-preview"
      data-testid="nb2prod-preview"
      data-exists={preview.exists ? 'true' : 'false'}
      role="dialog"
      aria-labelledby="nb2prod-preview-title"
      aria-describedby="nb2prod-preview-headline"
      onKeyDown={event => {
        if (event.key === 'Escape') {
          event.preventDefault();
          event.stopPropagation();
          onCancel();
        }
      }}
    >
      <h3 id="nb2prod-preview-title">Preview: {preview.plan.package}</h3>
      <div
        className="nb2prod-summary"
        id="nb2prod-preview-headline"
        data-testid="nb2prod-preview-headline"
      >
        {summary.headline}
        {summary.unchanged && ' (nothing changes; convert re-verifies)'}
      </div>
      <div className="nb2prod-actions">
        <button
          ref={accept}
          className="jp-mod-styled jp-mod-accept"
          data-testid="nb2prod-preview-accept"
          onClick={onAccept}
        >
          {preview.exists ? 'Accept' : 'Write package'}
        </button>
        <button
          className="jp-mod-styled"
          data-testid="nb2prod-preview-cancel"
          onClick={onCancel}
        >
          Cancel
        </button>
      </div>
      <details open={!preview.exists}>
        <summary>Modules: {preview.plan.modules.join(', ')}</summary>
        <ul className="nb2prod-preview-functions" data-testid="nb2prod-preview-functions">
          {summary.functions.map(line => (
            <li key={line} className="nb2prod-code">
              {line}
            </li>
          ))}
        </ul>
      </details>
      <details>
        <summary>{summary.config.length} config fields</summary>
        <ul data-testid="nb2prod-preview-config">
          {summary.config.map(line => (
            <li key={line} className="nb2prod-code">
              {line}
            </li>
          ))}
        </ul>
      </details>
      <details>
        <summary>{summary.leftOut.length} statements left out</summary>
        <ul data-testid="nb2prod-preview-left-out">
          {summary.leftOut.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      </details>
      {preview.changes.length > 0 && (
        <div className="nb2prod-diff" data-testid="nb2prod-diff">
          {preview.changes.map(change => (
            <details key={change.path} data-path={change.path} data-status={change.status}>
              <summary>
                {change.status}: {change.path}
              </summary>
              {/* scrolls: focusable, so the keyboard can scroll it too */}
              <pre
                className="nb2prod-diff-text"
                tabIndex={0}
                role="region"
                aria-label={`diff of ${change.path}`}
              >
                {change.diff.split('\n').map((line, i) => (
                  <span
                    key={i}
                    className={
                      line.startsWith('+') && !line.startsWith('+++')
                        ? 'nb2prod-diff-add'
                        : line.startsWith('-') && !line.startsWith('---')
                          ? 'nb2prod-diff-del'
                          : undefined
                    }
                  >
                    {line}
                    {'\n'}
                  </span>
                ))}
              </pre>
            </details>
          ))}
        </div>
      )}
    </section>
  );
}

function Findings(props: {
  state: INotebookState | undefined;
  onSelect: (finding: IFinding) => void;
}): JSX.Element {
  const { state, onSelect } = props;
  if (!state || (state.checking && !state.check)) {
    return (
      <div className="nb2prod-summary" data-testid="nb2prod-summary">
        {state?.checking ? 'Checking…' : 'Not checked yet.'}
      </div>
    );
  }
  const check = state.check;
  if (!check) {
    return (
      <div className="nb2prod-summary" data-testid="nb2prod-summary">
        The check failed; see the notification.
      </div>
    );
  }
  if (check.error) {
    return (
      <div className="nb2prod-summary nb2prod-error" data-testid="nb2prod-summary">
        {check.error.message}
      </div>
    );
  }
  const n = check.findings.length;
  return (
    <section
      className="nb2prod-findings"
      data-testid="nb2prod-findings"
      data-checks={state.checks}
    >
      <div className="nb2prod-summary" data-testid="nb2prod-summary">
        {n === 0 ? 'No findings' : `${n} finding${n === 1 ? '' : 's'}`}
        {state.checkMs !== null && (
          <span className="nb2prod-timing" data-testid="nb2prod-check-ms">
            {' '}
            · checked in {state.checkMs} ms
          </span>
        )}
        {state.checking && ' · re-checking…'}
      </div>
      <FindingGroups findings={check.findings} onSelect={onSelect} />
    </section>
  );
}

function FindingGroups(props: {
  findings: IFinding[];
  onSelect: (finding: IFinding) => void;
}): JSX.Element {
  const groups = new Map<string, IFinding[]>();
  for (const finding of props.findings) {
    groups.set(finding.code, [...(groups.get(finding.code) ?? []), finding]);
  }
  const codes = [...groups.keys()].sort();
  return (
    <ul className="nb2prod-groups">
      {codes.map(code => {
        const items = groups.get(code)!;
        return (
          <li
            key={code}
            className="nb2prod-group"
            data-testid="nb2prod-group"
            data-code={code}
          >
            <div className="nb2prod-group-head">
              <span className="nb2prod-code">{code}</span>
              <span className="nb2prod-count" data-testid="nb2prod-count">
                {items.length}
              </span>
            </div>
            <ul>
              {items.map((finding, i) => (
                <li
                  key={i}
                  className={`nb2prod-finding nb2prod-severity-${finding.severity}`}
                  data-testid="nb2prod-finding"
                  data-code={finding.code}
                  data-cell={finding.cell ?? ''}
                  data-cell-id={finding.cell_id ?? ''}
                  title="Show this cell"
                  tabIndex={0}
                  onClick={() => props.onSelect(finding)}
                  onKeyDown={onActivate(() => props.onSelect(finding))}
                >
                  <span className="nb2prod-where">
                    cell {finding.cell ?? '?'}
                    {finding.line !== null ? `:${finding.line}` : ''}
                  </span>{' '}
                  <span className="nb2prod-message">{finding.message}</span>
                  <RelatedCells finding={finding} onSelect={props.onSelect} />
                </li>
              ))}
            </ul>
          </li>
        );
      })}
    </ul>
  );
}

/** "also cells 5, 9, 12": the finding's other places, each selectable like its own cell. */
function RelatedCells(props: {
  finding: IFinding;
  onSelect: (finding: IFinding) => void;
}): JSX.Element | null {
  const { finding, onSelect } = props;
  const places = relatedOf(finding);
  if (places.length === 0) {
    return null;
  }
  const shown = places.slice(0, SHOWN_RELATED);
  const more = places.length - shown.length;
  return (
    <span className="nb2prod-related" data-testid="nb2prod-related">
      {' '}
      (also cell{places.length === 1 ? '' : 's'}{' '}
      {shown.map((place, i) => (
        <React.Fragment key={place.cell}>
          {i > 0 && ', '}
          <a
            className="nb2prod-related-cell"
            data-testid="nb2prod-related-cell"
            data-cell={place.cell}
            data-cell-id={place.cell_id}
            title={`Show cell ${place.cell}${place.note ? `: ${place.note}` : ''}`}
            tabIndex={0}
            role="button"
            onClick={event => {
              event.stopPropagation(); // the finding's own click would select its cell
              onSelect(atRelated(finding, place));
            }}
            onKeyDown={onActivate(() => onSelect(atRelated(finding, place)))}
          >
            {place.cell}
          </a>
        </React.Fragment>
      ))}
      {more > 0 && ` and ${more} more`})
    </span>
  );
}

function Job(props: {
  job: IJob;
  onCancel: () => void;
  onOpen: (path: string) => void;
  onSelect: (finding: IFinding) => void;
  onLookAgain: () => void;
  lookingAgain: boolean;
}): JSX.Element {
  const { job, onCancel, onOpen } = props;
  const { done, total } = job.progress;
  const result = job.result;
  const runPage = result?.run_page;
  const active = isActive(job);
  const heading = React.useRef<HTMLHeadingElement>(null);
  const cancel = React.useRef<HTMLButtonElement>(null);
  // The button that started the job (Accept, Verify) went away or was disabled: the keyboard
  // continues at the job's Cancel, then at its result.
  React.useEffect(() => {
    if (focusIsFree(heading.current?.closest('.nb2prod-Panel'))) {
      (active ? cancel.current : heading.current)?.focus();
    }
  }, [job.id, active]);
  return (
    <section
      className="nb2prod-job"
      data-testid="nb2prod-job"
      data-state={job.state}
      data-job-id={job.id}
      data-position={job.position ?? ''}
    >
      <h3 data-testid="nb2prod-job-heading" ref={heading} tabIndex={-1}>
        {jobHeading(job)}
      </h3>
      {isActive(job) && (
        <div className="nb2prod-progress-row">
          {job.state === 'running' && (
            <progress
              data-testid="nb2prod-progress"
              aria-label="nb2prod job progress"
              max={Math.max(total, 1)}
              value={done}
            />
          )}
          <span className="nb2prod-stage" role="status">
            {job.state === 'running' ? progressText(job) : 'waiting for a free slot'}
          </span>
          <button
            ref={cancel}
            className="jp-mod-styled jp-mod-reject"
            data-testid="nb2prod-cancel"
            onClick={onCancel}
          >
            Cancel
          </button>
        </div>
      )}
      {job.error && <div className="nb2prod-error">{job.error.message}</div>}
      {result && (
        <div className="nb2prod-result">
          <div
            className={`nb2prod-verdict nb2prod-verdict-${result.verdict}`}
            data-testid="nb2prod-verdict"
            data-verdict={result.verdict}
          >
            Verdict: {result.verdict}
          </div>
          {result.first_divergence && (
            <div className="nb2prod-divergence">
              First difference: {result.first_divergence.function}(), variable{' '}
              {result.first_divergence.variable}: {result.first_divergence.detail}
            </div>
          )}
          <Production
            result={result}
            onOpen={onOpen}
            onLookAgain={props.onLookAgain}
            lookingAgain={props.lookingAgain}
          />
          {result.report && (
            <div>
              Report:{' '}
              <a
                className="nb2prod-file"
                data-testid="nb2prod-report"
                tabIndex={0}
                role="button"
                onClick={() => onOpen(result.report!)}
                onKeyDown={onActivate(() => onOpen(result.report!))}
              >
                {result.report}
              </a>
            </div>
          )}
          {runPage && (
            <div>
              <button
                className="jp-mod-styled"
                data-testid="nb2prod-run-page"
                data-path={runPage}
                title={`Open ${runPage}: the notebook as a fresh run left it, the cells whose outputs disagree with the saved ones marked`}
                onClick={() => onOpen(runPage)}
              >
                Open the fresh run
              </button>
            </div>
          )}
          {result.findings.length > 0 && (
            <details className="nb2prod-verify-findings">
              <summary>
                {result.findings.length} finding
                {result.findings.length === 1 ? '' : 's'} from the verification run
              </summary>
              <FindingGroups findings={result.findings} onSelect={props.onSelect} />
            </details>
          )}
          <div className="nb2prod-files-head">
            {result.files.length} files in {result.out_dir}
          </div>
          <ul className="nb2prod-files">
            {result.files.map(path => (
              <li key={path}>
                <a
                  className="nb2prod-file"
                  data-testid="nb2prod-file"
                  data-path={path}
                  title={`Open ${path}`}
                  tabIndex={0}
                  role="button"
                  onClick={() => onOpen(path)}
                  onKeyDown={onActivate(() => onOpen(path))}
                >
                  {relative(path, result.out_dir)}
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function relative(path: string, dir: string): string {
  return dir && path.startsWith(dir + '/') ? path.slice(dir.length + 1) : path;
}

/** What convert made of train and predict, their verdicts, and the model artifact. */
function Production(props: {
  result: IJobResult;
  onOpen: (path: string) => void;
  onLookAgain: () => void;
  lookingAgain: boolean;
}): JSX.Element | null {
  const { result } = props;
  const summary = productionSummary(result);
  if (!summary) {
    return null;
  }
  const lines = [
    { id: 'train', line: summary.train, file: summary.trainFile },
    { id: 'predict', line: summary.predict, file: summary.predictFile }
  ];
  return (
    <section
      className="nb2prod-production"
      data-testid="nb2prod-production"
      aria-labelledby="nb2prod-production-title"
    >
      <h4 id="nb2prod-production-title">Train and predict</h4>
      <ul className="nb2prod-production-lines">
        {lines.map(({ id, line, file }) => (
          <li key={id} data-testid={`nb2prod-${id}`} data-made={file.status}>
            <div
              className={`nb2prod-verdict nb2prod-verdict-${line.status}`}
              data-testid={`nb2prod-${id}-verdict`}
              data-verdict={line.status}
            >
              {line.text}
            </div>
            <div className="nb2prod-production-file">{file.text}</div>
          </li>
        ))}
      </ul>
      {result.production?.train && result.artifact && (
        <Artifact
          artifact={result.artifact}
          wouldRecord={trainWouldRecord(result.production)}
          onOpen={props.onOpen}
          onLookAgain={props.onLookAgain}
          lookingAgain={props.lookingAgain}
        />
      )}
    </section>
  );
}

/** The newest artifact's metadata; before there is one, what train records and its command. */
function Artifact(props: {
  artifact: IArtifact;
  wouldRecord: string;
  onOpen: (path: string) => void;
  onLookAgain: () => void;
  lookingAgain: boolean;
}): JSX.Element {
  const { artifact, onOpen } = props;
  const latest = artifact.latest;
  return (
    <div
      className="nb2prod-artifact"
      data-testid="nb2prod-artifact"
      data-state={latest ? 'saved' : 'none'}
    >
      <h4>Model artifact</h4>
      {artifact.error && <div className="nb2prod-error">{artifact.error}</div>}
      {latest ? (
        <>
          <div className="nb2prod-summary">
            Newest in{' '}
            <a
              className="nb2prod-file"
              data-testid="nb2prod-artifact-metadata"
              data-path={`${latest.path}/metadata.json`}
              title={`Open ${latest.path}/metadata.json`}
              tabIndex={0}
              role="button"
              onClick={() => onOpen(`${latest.path}/metadata.json`)}
              onKeyDown={onActivate(() => onOpen(`${latest.path}/metadata.json`))}
            >
              {latest.path}
            </a>
          </div>
          <dl className="nb2prod-artifact-rows" data-testid="nb2prod-artifact-rows">
            {artifactRows(latest.metadata).map(([label, value]) => (
              <React.Fragment key={label}>
                <dt>{label}</dt>
                <dd>{value}</dd>
              </React.Fragment>
            ))}
          </dl>
        </>
      ) : (
        <div className="nb2prod-summary" data-testid="nb2prod-artifact-none">
          {props.wouldRecord} nb2prod does not train on your behalf: run this in a terminal,
          then look again.
        </div>
      )}
      <pre className="nb2prod-command" data-testid="nb2prod-train-command">
        {artifact.command}
      </pre>
      <div className="nb2prod-actions">
        <button
          className="jp-mod-styled"
          data-testid="nb2prod-copy-command"
          title="Copy the train command"
          onClick={() => Clipboard.copyToSystem(artifact.command)}
        >
          Copy command
        </button>
        <button
          className="jp-mod-styled"
          data-testid="nb2prod-look-again"
          title={`Look for the newest artifact in ${artifact.root}`}
          aria-busy={props.lookingAgain}
          onClick={props.onLookAgain}
        >
          Look again
        </button>
      </div>
    </div>
  );
}
