// Pure logic of the role overlay and of steering: no JupyterLab imports, unit-tested (vitest).
import type { IPlan, IPlannedStatement } from './api';

/** The roles an author can give (`nb2prod.core.vocabulary.USER_ROLES`). */
export const USER_ROLES = [
  'data',
  'features',
  'model',
  'business',
  'config',
  'exploration'
] as const;
export type UserRole = (typeof USER_ROLES)[number];

const TAG_PREFIX = 'nb2prod:';
// As nb2prod/convert/roles.py's _OVERRIDE_COMMENT.
const COMMENT = new RegExp(`#\\s*nb2prod:\\s*(${USER_ROLES.join('|')})\\b`);

/** What one code cell shows: its statements' roles as words, and why, for the tooltip. */
export interface ICellOverlay {
  cell: number;
  cellId: string;
  /** Distinct roles of its statements in order, imports last ("left out" for exploration). */
  roles: string[];
  /** The badge's text, e.g. "model → train_model()" or "left out (exploration)". */
  label: string;
  /** One line per statement: "line 3: model → train_model(): model API clf.fit()". */
  details: string[];
  statements: IPlannedStatement[];
}

/** The words a role shows as: the colour is never the only signal. */
export function roleWord(statement: Pick<IPlannedStatement, 'role' | 'kept'>): string {
  if (!statement.kept) {
    return statement.role === 'exploration' ? 'left out' : `left out (${statement.role})`;
  }
  return statement.role;
}

function destination(statement: IPlannedStatement): string {
  const word = roleWord(statement);
  if (statement.role === 'config' && statement.kept) {
    return 'config field';
  }
  return statement.function ? `${word} → ${statement.function}()` : word;
}

/** The overlay of every code cell the plan covers, by cell index. */
export function overlayOf(plan: IPlan): Map<number, ICellOverlay> {
  const byCell = new Map<number, IPlannedStatement[]>();
  for (const statement of plan.statements) {
    byCell.set(statement.cell, [...(byCell.get(statement.cell) ?? []), statement]);
  }
  const overlays = new Map<number, ICellOverlay>();
  for (const [cell, statements] of byCell) {
    const words: string[] = [];
    for (const s of statements) {
      const word = roleWord(s);
      if (s.role !== 'import' && !words.includes(word)) {
        words.push(word);
      }
    }
    if (words.length === 0) {
      words.push('import');
    }
    const destinations: string[] = [];
    for (const s of statements) {
      const where = destination(s);
      if (s.role !== 'import' && !destinations.includes(where)) {
        destinations.push(where);
      }
    }
    const label = destinations.length === 0 ? 'imports' : destinations.join(' · ');
    overlays.set(cell, {
      cell,
      cellId: statements[0].cell_id,
      roles: words,
      label,
      details: statements.map(
        s => `line ${s.line}: ${destination(s)}: ${s.reason}${s.code ? ` (${s.code})` : ''}`
      ),
      statements
    });
  }
  return overlays;
}

/** A CSS class fragment for a role word ("left out" -> "left-out"). */
export function roleClass(word: string): string {
  return word.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '');
}

/** The index of an overlay's cell among the open notebook's cells (ids first), or -1. */
export function overlayIndex(overlay: ICellOverlay, cellIds: readonly string[]): number {
  const byId = cellIds.indexOf(overlay.cellId);
  if (overlay.cellId && byId >= 0) {
    return byId;
  }
  return overlay.cell < cellIds.length ? overlay.cell : -1;
}

/** The cell's role tag (`nb2prod:<role>`), or null. */
export function roleTagOf(tags: readonly string[]): UserRole | null {
  for (const tag of tags) {
    const role = tag.startsWith(TAG_PREFIX) ? tag.slice(TAG_PREFIX.length) : '';
    if ((USER_ROLES as readonly string[]).includes(role)) {
      return role as UserRole;
    }
  }
  return null;
}

/** The tags with the cell's role set to `role` (null: the role tag removed), others kept. */
export function withRoleTag(tags: readonly string[], role: UserRole | null): string[] {
  const kept = tags.filter(t => roleTagOf([t]) === null);
  return role === null ? kept : [...kept, `${TAG_PREFIX}${role}`];
}

/**
 * The cell's source with a statement's role set through a `# nb2prod: ROLE` comment.
 *
 * An override comment already in the statement (its lines or the comment lines directly above)
 * is replaced, or removed for null; otherwise a comment line goes directly above the statement,
 * which makes it part of the statement without touching its code.
 */
export function withRoleComment(
  source: string,
  statement: Pick<IPlannedStatement, 'line' | 'end_line'>,
  role: UserRole | null
): string {
  const lines = source.split('\n');
  let first = statement.line - 1;
  while (first > 0 && lines[first - 1].trim().startsWith('#')) {
    first -= 1;
  }
  const last = Math.max(statement.end_line, statement.line) - 1;
  for (let i = first; i <= last && i < lines.length; i++) {
    if (COMMENT.test(lines[i])) {
      if (role !== null) {
        lines[i] = lines[i].replace(COMMENT, `# nb2prod: ${role}`);
      } else if (lines[i].trim().startsWith('#')) {
        lines.splice(i, 1);
      } else {
        lines[i] = lines[i].replace(/\s*#\s*nb2prod:\s*\w+\s*$/, '');
      }
      return lines.join('\n');
    }
  }
  if (role === null) {
    return source;
  }
  lines.splice(statement.line - 1, 0, `# nb2prod: ${role}`);
  return lines.join('\n');
}

/** "2nd in line": a queued job's place. */
export function queuePlace(position: number | null | undefined): string {
  if (!position) {
    return 'waiting for a slot';
  }
  const tens = position % 100;
  const suffix =
    tens >= 11 && tens <= 13
      ? 'th'
      : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[position % 10] ?? 'th';
  return position === 1 ? 'next in line' : `${position}${suffix} in line`;
}
