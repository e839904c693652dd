// Finding -> cell mapping and the markers drawn on cells that have findings.
import { Notebook } from '@jupyterlab/notebook';

import { IFinding } from './api';

export const MARKED_CLASS = 'nb2prod-has-finding';
const BADGE_CLASS = 'nb2prod-cell-badge';

/**
 * Index of the finding's cell in the open notebook, or -1.
 *
 * The id is trusted when the model's cells carry it (nbformat 4.5 ids survive
 * edits and moves); otherwise the saved file's index over all cells is used.
 */
export function cellIndex(notebook: Notebook, finding: IFinding): number {
  const cells = notebook.model?.cells;
  if (!cells) {
    return -1;
  }
  if (finding.cell_id) {
    for (let i = 0; i < cells.length; i++) {
      if (cells.get(i).id === finding.cell_id) {
        return i;
      }
    }
  }
  const index = finding.cell;
  return index !== null && index >= 0 && index < cells.length ? index : -1;
}

/** Put a class and a badge listing the rule codes on every cell with findings. */
export function markCells(notebook: Notebook, findings: IFinding[]): void {
  const codes = new Map<number, IFinding[]>();
  for (const finding of findings) {
    const index = cellIndex(notebook, finding);
    if (index >= 0) {
      codes.set(index, [...(codes.get(index) ?? []), finding]);
    }
  }
  notebook.widgets.forEach((cell, index) => {
    const node = cell.node;
    node.querySelector(`:scope > .${BADGE_CLASS}`)?.remove();
    const here = codes.get(index);
    node.classList.toggle(MARKED_CLASS, here !== undefined);
    if (!here) {
      return;
    }
    const badge = document.createElement('div');
    badge.className = BADGE_CLASS;
    badge.dataset.testid = 'nb2prod-cell-badge';
    badge.textContent = [...new Set(here.map(f => f.code))].join(' ');
    badge.title = here.map(f => `${f.code}: ${f.message}`).join('\n');
    node.appendChild(badge);
  });
}

export function clearMarks(notebook: Notebook): void {
  markCells(notebook, []);
}
