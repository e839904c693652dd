// Steering is one step of the cell's undo history, against the real @jupyter/ydoc models that
// JupyterLab uses, with per-cell undo (JupyterLab's default) and with document-wide undo.
import { YNotebook } from '@jupyter/ydoc';
import { describe, expect, it } from 'vitest';

import { withRoleComment, withRoleTag } from '../src/roles';
import { undoStep } from '../src/undo';

const MODES = [
  { name: 'per-cell undo', disableDocumentWideUndoRedo: true },
  { name: 'document-wide undo', disableDocumentWideUndoRedo: false }
];

function notebookWithCell(disableDocumentWideUndoRedo: boolean, tags?: string[]) {
  const notebook = YNotebook.create({
    disableDocumentWideUndoRedo,
    data: {
      cells: [
        { cell_type: 'code', source: 'x = 1\ny = x + 1', metadata: tags ? { tags } : {} }
      ]
    }
  });
  const cell = notebook.getCell(0);
  cell.clearUndoHistory();
  notebook.undoManager.clear();
  return { notebook, cell };
}

describe.each(MODES)('steering with $name', ({ disableDocumentWideUndoRedo }) => {
  it('is needed: JupyterLab keeps a plain metadata edit out of the history', () => {
    const { cell } = notebookWithCell(disableDocumentWideUndoRedo);
    cell.setMetadata('tags', ['nb2prod:model']);
    expect(cell.undo()).toBe(false);
    expect(cell.getMetadata('tags')).toEqual(['nb2prod:model']);
  });

  it.each([
    { before: undefined, after: ['nb2prod:model'] },
    { before: ['keep'], after: ['keep', 'nb2prod:model'] },
    { before: ['keep', 'nb2prod:data'], after: ['keep', 'nb2prod:model'] }
  ])('undoes and redoes a role tag over $before', ({ before, after }) => {
    const { cell } = notebookWithCell(disableDocumentWideUndoRedo, before);
    const next = withRoleTag(before ?? [], 'model');
    expect(next).toEqual(after);
    undoStep(cell, () => cell.setMetadata('tags', next));
    expect(cell.getMetadata('tags')).toEqual(after);
    expect(cell.undo()).toBe(true);
    expect(cell.getMetadata('tags')).toEqual(before);
    expect(cell.redo()).toBe(true);
    expect(cell.getMetadata('tags')).toEqual(after);
  });

  it('undoes "as planned" (the tag removed) back to the role', () => {
    const { cell } = notebookWithCell(disableDocumentWideUndoRedo, ['nb2prod:model']);
    undoStep(cell, () => cell.deleteMetadata('tags'));
    expect(cell.getMetadata('tags')).toBeUndefined();
    cell.undo();
    expect(cell.getMetadata('tags')).toEqual(['nb2prod:model']);
  });

  it('is a step of its own: typing just before it stays when it is undone', () => {
    const { cell } = notebookWithCell(disableDocumentWideUndoRedo);
    cell.setSource('x = 2\ny = x + 1'); // within Yjs's 500 ms capture window
    undoStep(cell, () => cell.setMetadata('tags', ['nb2prod:model']));
    cell.undo();
    expect(cell.getMetadata('tags')).toBeUndefined();
    expect(cell.getSource()).toBe('x = 2\ny = x + 1');
  });

  it("undoes a statement's role comment", () => {
    const { cell } = notebookWithCell(disableDocumentWideUndoRedo);
    const source = cell.getSource();
    const next = withRoleComment(source, { line: 2, end_line: 2 }, 'business');
    undoStep(cell, () => cell.setSource(next));
    expect(cell.getSource()).toBe('x = 1\n# nb2prod: business\ny = x + 1');
    cell.undo();
    expect(cell.getSource()).toBe(source);
  });
});

describe('steering with document-wide undo', () => {
  it("is reverted by the notebook's own undo too", () => {
    const { notebook, cell } = notebookWithCell(false);
    undoStep(cell, () => cell.setMetadata('tags', ['nb2prod:model']));
    notebook.undo();
    expect(cell.getMetadata('tags')).toBeUndefined();
  });
});
