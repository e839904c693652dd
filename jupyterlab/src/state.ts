// Pure panel state: what the side panel says about a job and a preview (unit-tested, vitest).
import type { IJob, IPreview } from './api';
import { queuePlace } from './roles';

/** Queued or running: the job can still be cancelled, and no other one starts. */
export function isActive<T extends Pick<IJob, 'state'>>(
  job: T | null | undefined
): job is T {
  return job?.state === 'queued' || job?.state === 'running';
}

/** The job's heading: "Convert · running", "Verify · queued (2nd in line)". */
export function jobHeading(job: Pick<IJob, 'kind' | 'state' | 'position'>): string {
  const kind = job.kind === 'convert' ? 'Convert' : 'Verify';
  const state = job.state === 'queued' ? `queued (${queuePlace(job.position)})` : job.state;
  return `${kind} · ${state}`;
}

/** Progress shown under a running job: "running the notebook and the package 3/10". */
export function progressText(job: Pick<IJob, 'progress'>): string {
  const { done, total, stage } = job.progress;
  return total > 0 ? `${stage} ${done}/${total}` : stage;
}

export interface IPreviewSummary {
  /** "Writes 13 files to dir/pkg" or "Replaces dir/pkg: 2 changed, 1 added, 0 removed". */
  headline: string;
  /** Nothing would change on disk: accepting only re-verifies. */
  unchanged: boolean;
  functions: string[];
  config: string[];
  leftOut: string[];
}

/** What the preview shows before anything is written. */
export function previewSummary(preview: IPreview): IPreviewSummary {
  const count = (status: string) => preview.changes.filter(c => c.status === status).length;
  const headline = preview.exists
    ? `Replaces ${preview.out_dir}: ${count('changed')} changed, ${count('added')} added, ${count('removed')} removed`
    : `Writes ${preview.files.length} files to ${preview.out_dir}`;
  const plan = preview.plan;
  return {
    headline,
    unchanged: preview.exists && preview.changes.length === 0,
    functions: plan.functions.map(
      f => `${f.module}.${f.name}(${f.params.join(', ')}) → ${f.returns.join(', ') || 'None'}`
    ),
    config: plan.config.map(c => `${c.field}: ${c.type} = ${c.value}`),
    leftOut: plan.left_out.map(s => `cell ${s.cell}:${s.line} ${s.code || '(magic)'}: ${s.reason}`)
  };
}
