// What nb2prod knows about each open notebook, and the actions on it.
import { Notification } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import * as api from './api';
import { cellIndex, clearMarks, markCells } from './markers';
import { drawOverlay, ISteer, syncRoleTags } from './overlay';
import { isActive } from './state';
import { UserRole, withRoleComment, withRoleTag } from './roles';
import { undoStep } from './undo';

const POLL_MS = 300;

export interface INotebookState {
  /** Path relative to the server root, as the API wants it. */
  path: string;
  checking: boolean;
  check: api.ICheckedNotebook | null;
  /** Round trip of the last check request, in milliseconds. */
  checkMs: number | null;
  /** Checks finished so far (lets a test tell a fresh answer from the last one). */
  checks: number;
  /** Check requests sent; only the latest one's answer is shown. */
  requests: number;
  /** The queued, running or last finished convert/verify job. */
  job: api.IJob | null;
  /** The convert plan of the saved file (the role overlay), and why there is none. */
  plan: api.IPlan | null;
  planError: api.IPlanError | null;
  /** Plans received so far (a test tells a fresh overlay from the last one). */
  plans: number;
  planRequests: number;
  /** What "Convert" would write, shown for the author to accept or cancel. */
  preview: api.IPreview | null;
  previewing: boolean;
  /** Reading the package's artifacts again (after the author trained). */
  lookingForArtifact: boolean;
}

export class Controller {
  /** @param activate brings a notebook's tab to the front and focuses it (the shell's job). */
  constructor(private readonly _activate: (panel: NotebookPanel) => void) {}

  get changed(): ISignal<this, NotebookPanel> {
    return this._changed;
  }

  state(panel: NotebookPanel): INotebookState | undefined {
    return this._states.get(panel);
  }

  /** Check the saved notebook and mark its cells; re-checks on every save from now on. */
  async check(panel: NotebookPanel): Promise<void> {
    const state = this._track(panel);
    void this.plan(panel);
    const request = ++state.requests;
    state.checking = true;
    this._changed.emit(panel);
    const start = performance.now();
    try {
      const doc = await api.check(state.path);
      if (request !== state.requests) {
        return; // a later check (a save, another click) answers instead
      }
      state.check = doc.notebooks[0] ?? null;
      state.checkMs = Math.round(performance.now() - start);
      if (state.check?.error) {
        notify(state.check.error.message);
      }
    } catch (error) {
      notifyError(error);
    } finally {
      if (request === state.requests) {
        state.checking = false;
        state.checks += 1;
        this.remark(panel);
        this._changed.emit(panel);
      }
    }
  }

  /** Ask the library for the convert plan of the saved file and draw the role overlay. */
  async plan(panel: NotebookPanel): Promise<void> {
    const state = this._track(panel);
    const request = ++state.planRequests;
    try {
      const answer = await api.plan(state.path);
      if (request !== state.planRequests) {
        return;
      }
      state.plan = answer.plan;
      state.planError = answer.error;
    } catch (error) {
      if (request !== state.planRequests) {
        return;
      }
      state.plan = null;
      state.planError = { kind: 'request', message: messageOf(error), cell: null };
    }
    state.plans += 1;
    this.remark(panel);
    this._changed.emit(panel);
  }

  /** "Convert": first the preview (plan, and a diff over an existing package); nothing written. */
  async convert(panel: NotebookPanel): Promise<void> {
    const state = this._track(panel);
    if (isActive(state.job) || state.previewing) {
      return;
    }
    state.previewing = true;
    state.preview = null;
    this._changed.emit(panel);
    try {
      if (panel.context.model.dirty) {
        await panel.context.save();
      }
      const answer = await api.preview(state.path);
      if (answer.error) {
        notify(answer.error.message);
      }
      state.preview = answer.preview;
    } catch (error) {
      notifyError(error);
    } finally {
      state.previewing = false;
      this._changed.emit(panel);
    }
  }

  /** The author accepted the preview: now convert (and verify) for real. */
  accept(panel: NotebookPanel): Promise<void> {
    const state = this._track(panel);
    state.preview = null;
    return this._runJob(panel, api.startConvert);
  }

  /** The author cancelled the preview: nothing is written. */
  dismiss(panel: NotebookPanel): void {
    const state = this._track(panel);
    state.preview = null;
    this._changed.emit(panel);
  }

  /**
   * Set a cell's role as its `nb2prod:<role>` tag (null: remove it), as one step of the cell's
   * undo history: Ctrl+Z or Edit → Undo with the cell selected reverts it, as a source edit.
   */
  steerCell(panel: NotebookPanel, index: number, role: UserRole | null): void {
    const cell = panel.content.model?.cells.get(index);
    if (!cell) {
      return;
    }
    const tags = (cell.getMetadata('tags') as string[] | undefined) ?? [];
    const next = withRoleTag(tags, role);
    undoStep(cell.sharedModel, () => {
      if (next.length) {
        cell.setMetadata('tags', next);
      } else {
        cell.deleteMetadata('tags');
      }
    });
  }

  /** Set one statement's role as a `# nb2prod: ROLE` comment in the cell's source (undoable). */
  steerStatement(
    panel: NotebookPanel,
    index: number,
    statement: api.IPlannedStatement,
    role: UserRole | null
  ): void {
    const cell = panel.content.model?.cells.get(index);
    if (!cell) {
      return;
    }
    const source = cell.sharedModel.getSource();
    const next = withRoleComment(source, statement, role);
    if (next !== source) {
      undoStep(cell.sharedModel, () => cell.sharedModel.setSource(next));
    }
  }

  /** Escape in a role strip: back to its cell in command mode, where Ctrl+Z undoes the change. */
  leaveStrip(panel: NotebookPanel, index: number): void {
    const notebook = panel.content;
    const cell = notebook.widgets[index];
    if (!cell) {
      return;
    }
    notebook.mode = 'command';
    notebook.activeCellIndex = index;
    cell.node.focus({ preventScroll: true });
  }

  verify(panel: NotebookPanel): Promise<void> {
    return this._runJob(panel, api.startVerify);
  }

  /** Read the package's newest artifact again, into the last job's result (train ran since). */
  async lookForArtifact(panel: NotebookPanel): Promise<void> {
    const state = this._track(panel);
    const job = state.job;
    if (!job?.result || state.lookingForArtifact) {
      return;
    }
    state.lookingForArtifact = true;
    this._changed.emit(panel);
    try {
      const answer = await api.artifact(state.path, job.result.out_dir);
      if (state.job === job) {
        state.job = { ...job, result: { ...job.result, artifact: answer.artifact } };
      }
    } catch (error) {
      notifyError(error);
    } finally {
      state.lookingForArtifact = false;
      this._changed.emit(panel);
    }
  }

  async cancel(panel: NotebookPanel): Promise<void> {
    const job = this._states.get(panel)?.job;
    if (!job || !isActive(job)) {
      return;
    }
    try {
      await api.cancelJob(job.id);
    } catch (error) {
      notifyError(error);
    }
  }

  /** Scroll to the finding's cell and make it the active, selected one. */
  async select(panel: NotebookPanel, finding: api.IFinding): Promise<void> {
    const notebook = panel.content;
    const index = cellIndex(notebook, finding);
    if (index < 0) {
      Notification.warning(
        `nb2prod: cell ${finding.cell} of the saved file is not in the open notebook; save and check again`,
        { autoClose: 5000 }
      );
      return;
    }
    // The activation is processed later and then focuses the notebook in the mode set here.
    this._activate(panel);
    notebook.deselectAll();
    notebook.activeCellIndex = index;
    notebook.mode = 'command';
    // scrollToItem, not scrollToCell: the latter activates the cell, which focuses its editor.
    await notebook.scrollToItem(index, 'center');
  }

  /** Redraw the cell markers of the last check and the role overlay of the last plan. */
  remark(panel: NotebookPanel): void {
    const state = this._states.get(panel);
    const findings = state?.check?.findings;
    if (findings) {
      markCells(panel.content, findings);
    } else {
      clearMarks(panel.content);
    }
    const steer: ISteer = {
      cell: (index, role) => this.steerCell(panel, index, role),
      statement: (index, statement, role) =>
        this.steerStatement(panel, index, statement, role),
      leave: index => this.leaveStrip(panel, index)
    };
    drawOverlay(panel.content, state?.plan ?? null, steer);
  }

  private _track(panel: NotebookPanel): INotebookState {
    let state = this._states.get(panel);
    if (state) {
      state.path = panel.context.localPath;
      return state;
    }
    state = {
      path: panel.context.localPath,
      checking: false,
      check: null,
      checkMs: null,
      checks: 0,
      requests: 0,
      job: null,
      plan: null,
      planError: null,
      plans: 0,
      planRequests: 0,
      preview: null,
      previewing: false,
      lookingForArtifact: false
    };
    this._states.set(panel, state);
    panel.context.saveState.connect((_, saveState) => {
      if (saveState === 'completed') {
        void this.check(panel);
      }
    });
    // A cell's role menu follows its tag however it changes: steering, undo, the tag editor.
    const onMetadata = (_: unknown, change: { key: string }) => {
      if (change.key === 'tags') {
        syncRoleTags(panel.content);
      }
    };
    const watch = () => {
      for (const cell of panel.content.model?.cells ?? []) {
        cell.metadataChanged.connect(onMetadata); // a no-op when already connected
      }
    };
    watch();
    panel.content.model?.cells.changed.connect(() => {
      watch();
      this.remark(panel);
    });
    panel.disposed.connect(() => this._states.delete(panel));
    return state;
  }

  private async _runJob(
    panel: NotebookPanel,
    start: (path: string) => Promise<{ job: string }>
  ): Promise<void> {
    const state = this._track(panel);
    if (isActive(state.job)) {
      return;
    }
    try {
      // The server reads the file on disk: convert what the user sees.
      if (panel.context.model.dirty) {
        await panel.context.save();
      }
      const { job: id } = await start(state.path);
      let job = await api.getJob(id);
      state.job = job;
      this._changed.emit(panel);
      while (isActive(job) && !panel.isDisposed) {
        await new Promise(resolve => setTimeout(resolve, POLL_MS));
        job = await api.getJob(id);
        state.job = job;
        this._changed.emit(panel);
      }
      if (job.state === 'failed') {
        notify(job.error?.message ?? `nb2prod ${job.kind} failed`);
      }
    } catch (error) {
      notifyError(error);
      if (isActive(state.job)) {
        // Lost track of it (server gone?): stop showing it as running.
        state.job = { ...state.job, state: 'failed', error: { message: messageOf(error) } };
      }
    }
    this._changed.emit(panel);
  }

  private _states = new Map<NotebookPanel, INotebookState>();
  private _changed = new Signal<this, NotebookPanel>(this);
}

/** An error toast that stays until dismissed (JupyterLab's default only lights the bell). */
function notify(message: string): void {
  Notification.error(message, { autoClose: false });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function notifyError(error: unknown): void {
  notify(messageOf(error));
}
