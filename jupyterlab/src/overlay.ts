// The role overlay on the cells: a badge per code cell naming where its statements go (words
// and a colour), the reasons on hover, and the controls to steer a cell's or a statement's role.
import type { Notebook } from '@jupyterlab/notebook';

import type { IPlan, IPlannedStatement } from './api';
import {
  ICellOverlay,
  overlayIndex,
  overlayOf,
  roleClass,
  roleTagOf,
  USER_ROLES,
  UserRole
} from './roles';

export const ROLE_BADGE_CLASS = 'nb2prod-role-badge';

export interface ISteer {
  cell(index: number, role: UserRole | null): void;
  statement(index: number, statement: IPlannedStatement, role: UserRole | null): void;
  /** Escape: focus back on the cell (command mode), where the notebook's shortcuts work. */
  leave(index: number): void;
}

/** Draw (or clear, for a null plan) the role badges of every code cell. */
export function drawOverlay(notebook: Notebook, plan: IPlan | null, steer: ISteer): void {
  const overlays = plan ? overlayOf(plan) : new Map<number, ICellOverlay>();
  const ids = notebook.widgets.map(cell => cell.model.id);
  const at = new Map<number, ICellOverlay>();
  for (const overlay of overlays.values()) {
    const index = overlayIndex(overlay, ids);
    if (index >= 0) {
      at.set(index, overlay);
    }
  }
  notebook.widgets.forEach((cell, index) => {
    cell.node.querySelectorAll(`:scope > .${ROLE_BADGE_CLASS}`).forEach(b => b.remove());
    const overlay = at.get(index);
    if (!overlay || cell.model.type !== 'code') {
      return;
    }
    const tags = (cell.model.getMetadata('tags') as string[] | undefined) ?? [];
    cell.node.appendChild(badge(overlay, index, roleTagOf(tags), steer));
  });
}

/**
 * Set every cell's role menu to its current tag, in place (a redraw would take the focus from
 * a menu being used): after an undo or redo, or a tag edited elsewhere.
 */
export function syncRoleTags(notebook: Notebook): void {
  for (const cell of notebook.widgets) {
    const select = cell.node.querySelector<HTMLSelectElement>(
      `:scope > .${ROLE_BADGE_CLASS} select[data-testid=nb2prod-role-select]`
    );
    if (select) {
      const tags = (cell.model.getMetadata('tags') as string[] | undefined) ?? [];
      select.value = roleTagOf(tags) ?? '';
    }
  }
}

function badge(
  overlay: ICellOverlay,
  index: number,
  tagged: UserRole | null,
  steer: ISteer
): HTMLElement {
  const node = document.createElement('div');
  node.className = `${ROLE_BADGE_CLASS} nb2prod-role-${roleClass(overlay.roles[0])}`;
  node.dataset.testid = 'nb2prod-role-badge';
  node.dataset.roles = overlay.roles.join(',');
  node.dataset.cell = String(overlay.cell);
  // Lumino: keys typed here are not notebook shortcuts; the notebook does not take the click.
  node.setAttribute('data-lm-suppress-shortcuts', 'true');
  node.addEventListener('mousedown', event => event.stopPropagation());
  node.addEventListener('keydown', event => {
    if (event.key === 'Escape') {
      event.preventDefault();
      steer.leave(index);
    }
  });

  const label = document.createElement('span');
  label.className = 'nb2prod-role-label';
  label.dataset.testid = 'nb2prod-role-label';
  label.textContent = overlay.label;
  label.title = overlay.details.join('\n');
  node.appendChild(label);

  node.appendChild(
    roleSelect(
      `nb2prod: role of cell ${overlay.cell}`,
      'nb2prod-role-select',
      tagged,
      'as planned',
      role => steer.cell(index, role)
    )
  );

  const details = document.createElement('details');
  details.className = 'nb2prod-role-statements';
  const summary = document.createElement('summary');
  summary.textContent = `${overlay.statements.length} statement${overlay.statements.length === 1 ? '' : 's'}`;
  details.appendChild(summary);
  const list = document.createElement('ul');
  for (const statement of overlay.statements) {
    const item = document.createElement('li');
    item.dataset.testid = 'nb2prod-role-statement';
    item.dataset.line = String(statement.line);
    item.dataset.role = statement.role;
    const text = document.createElement('span');
    text.textContent = `line ${statement.line}: ${statement.kept ? statement.role : 'left out'} · ${statement.code}`;
    text.title = statement.reason;
    item.appendChild(text);
    if (statement.role !== 'import') {
      const comment = /^comment '# nb2prod: (\w+)'$/.exec(statement.reason);
      item.appendChild(
        roleSelect(
          `nb2prod: role of line ${statement.line} of cell ${overlay.cell}`,
          'nb2prod-statement-role-select',
          (comment?.[1] as UserRole | undefined) ?? null,
          'no comment',
          role => steer.statement(index, statement, role)
        )
      );
    }
    list.appendChild(item);
  }
  details.appendChild(list);
  node.appendChild(details);
  return node;
}

function roleSelect(
  label: string,
  testid: string,
  value: UserRole | null,
  none: string,
  onChange: (role: UserRole | null) => void
): HTMLSelectElement {
  const select = document.createElement('select');
  select.className = 'nb2prod-role-select';
  select.dataset.testid = testid;
  select.setAttribute('aria-label', label);
  select.title = label;
  for (const role of ['', ...USER_ROLES]) {
    const option = document.createElement('option');
    option.value = role;
    option.textContent =
      role === '' ? none : role === 'exploration' ? 'exploration (leave out)' : role;
    select.appendChild(option);
  }
  select.value = value ?? '';
  select.addEventListener('change', () =>
    onChange(select.value === '' ? null : (select.value as UserRole))
  );
  return select;
}
