// Steering as an undoable edit: no JupyterLab imports, unit-tested against @jupyter/ydoc (vitest).

/** The part of a shared cell (`ISharedCell`) an undo step needs. */
export interface ITransacting {
  transact(edit: () => void): void;
}

/** What @jupyter/ydoc's `YBaseCell.undoManager` (a `Y.UndoManager`) offers, beyond the interface. */
interface IUndoCapture {
  stopCapturing(): void;
}

function undoManagerOf(shared: ITransacting): IUndoCapture | null {
  const manager: unknown = 'undoManager' in shared ? shared.undoManager : null;
  return typeof manager === 'object' &&
    manager !== null &&
    'stopCapturing' in manager &&
    typeof manager.stopCapturing === 'function'
    ? (manager as IUndoCapture)
    : null;
}

/**
 * Run `edit` as one undoable step of the cell's history.
 *
 * JupyterLab writes metadata in a transaction its undo managers ignore (`setMetadata` passes
 * `undoable = false`); Yjs merges a nested transaction into the enclosing one, so an enclosing
 * undoable `transact` gives the change the origin the cell's undo manager tracks (the
 * notebook's, when undo is document-wide). `stopCapturing` keeps the step from merging with
 * typing just before or after it.
 */
export function undoStep(shared: ITransacting, edit: () => void): void {
  const manager = undoManagerOf(shared);
  manager?.stopCapturing();
  shared.transact(edit);
  manager?.stopCapturing();
}
