// What nb2prod knows about each open notebook, and the actions on it.
import { Notification } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import * as api from './api';
import { cellIndex, clearMarks, markCells } from './markers';

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
  /** The running or last finished convert/verify job. */
  job: api.IJob | null;
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

  convert(panel: NotebookPanel): Promise<void> {
    return this._runJob(panel, api.startConvert);
  }

  verify(panel: NotebookPanel): Promise<void> {
    return this._runJob(panel, api.startVerify);
  }

  async cancel(panel: NotebookPanel): Promise<void> {
    const job = this._states.get(panel)?.job;
    if (job?.state !== 'running') {
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

  /** Redraw the cell markers of the last check (cells were added, moved or removed). */
  remark(panel: NotebookPanel): void {
    const findings = this._states.get(panel)?.check?.findings;
    if (findings) {
      markCells(panel.content, findings);
    } else {
      clearMarks(panel.content);
    }
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
      job: null
    };
    this._states.set(panel, state);
    panel.context.saveState.connect((_, saveState) => {
      if (saveState === 'completed') {
        void this.check(panel);
      }
    });
    panel.content.model?.cells.changed.connect(() => this.remark(panel));
    panel.disposed.connect(() => this._states.delete(panel));
    return state;
  }

  private async _runJob(
    panel: NotebookPanel,
    start: (path: string) => Promise<{ job: string }>
  ): Promise<void> {
    const state = this._track(panel);
    if (state.job?.state === 'running') {
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
      while (job.state === 'running' && !panel.isDisposed) {
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
      if (state.job?.state === 'running') {
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
