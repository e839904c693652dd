// Finding -> cell mapping and the markers drawn on cells that have findings.
import { Notebook } from '@jupyterlab/notebook';

import { IFinding, IRelated } from './api';

export const MARKED_CLASS = 'nb2prod-has-finding';
/** A cell that is another place of a finding reported at some other cell. */
export const RELATED_CLASS = 'nb2prod-related-finding';
const BADGE_CLASS = 'nb2prod-cell-badge';
const RELATED_BADGE_CLASS = 'nb2prod-cell-badge-related';

/**
 * The finding's related places, one per cell other than its own, in page order.
 *
 * A server older than `related` sends none.
 */
export function relatedOf(finding: IFinding): IRelated[] {
  const related = finding.related ?? [];
  const seen = new Set<number>(finding.cell === null ? [] : [finding.cell]);
  const places: IRelated[] = [];
  for (const place of related) {
    if (!seen.has(place.cell)) {
      seen.add(place.cell);
      places.push(place);
    }
  }
  return places.sort((a, b) => a.cell - b.cell);
}

/** The finding as seen at one of its related places: what selecting that place needs. */
export function atRelated(finding: IFinding, place: IRelated): IFinding {
  return {
    ...finding,
    cell: place.cell,
    cell_id: place.cell_id,
    line: place.line,
    column: place.column
  };
}

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

/**
 * Mark every cell with findings: a class and a badge listing the rule codes. Cells that are
 * only related places of a finding (a later use of the same name, a cell a late run put out
 * of order) get their own class and an "also" badge, so the two never mix.
 */
export function markCells(notebook: Notebook, findings: IFinding[]): void {
  const codes = new Map<number, IFinding[]>();
  const related = new Map<number, { code: string; text: string }[]>();
  for (const finding of findings) {
    const index = cellIndex(notebook, finding);
    if (index >= 0) {
      codes.set(index, [...(codes.get(index) ?? []), finding]);
    }
    for (const place of relatedOf(finding)) {
      const at = cellIndex(notebook, atRelated(finding, place));
      if (at >= 0 && at !== index) {
        const where = finding.cell === null ? '' : ` (cell ${finding.cell})`;
        const text = `${finding.code}${where}: ${place.note || finding.message}`;
        related.set(at, [...(related.get(at) ?? []), { code: finding.code, text }]);
      }
    }
  }
  notebook.widgets.forEach((cell, index) => {
    const node = cell.node;
    node.querySelectorAll(`:scope > .${BADGE_CLASS}`).forEach(badge => badge.remove());
    const here = codes.get(index);
    const also = here ? undefined : related.get(index);
    node.classList.toggle(MARKED_CLASS, here !== undefined);
    node.classList.toggle(RELATED_CLASS, also !== undefined);
    if (here) {
      const badge = document.createElement('div');
      badge.className = BADGE_CLASS;
      badge.dataset.testid = 'nb2prod-cell-badge';
      badge.textContent = [...new Set(here.map(f => f.code))].join(' ');
      const notes = (related.get(index) ?? []).map(r => r.text);
      badge.title = [...here.map(f => `${f.code}: ${f.message}`), ...notes].join('\n');
      node.appendChild(badge);
    } else if (also) {
      const badge = document.createElement('div');
      badge.className = `${BADGE_CLASS} ${RELATED_BADGE_CLASS}`;
      badge.dataset.testid = 'nb2prod-cell-related-badge';
      badge.textContent = `also ${[...new Set(also.map(r => r.code))].join(' ')}`;
      badge.title = also.map(r => r.text).join('\n');
      node.appendChild(badge);
    }
  });
}

export function clearMarks(notebook: Notebook): void {
  markCells(notebook, []);
}
