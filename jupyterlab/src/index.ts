// nb2prod in JupyterLab: a notebook toolbar button, three palette commands and a side panel.
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon, ToolbarButton } from '@jupyterlab/ui-components';

import { Controller } from './controller';
import { Nb2prodPanel } from './panel';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">
<path class="jp-icon3" fill="#616161" d="M4 3h10l6 6v12H4zm9 1.5V10h5.5zM7 13l3 3 7-7-1.4-1.4L10 13.2 8.4 11.6z"/></svg>`;

const icon = new LabIcon({ name: 'nb2prod-lab:icon', svgstr: ICON_SVG });

type Action = 'check' | 'convert' | 'verify';

const COMMANDS: Record<Action, { id: string; label: string; caption: string }> = {
  check: {
    id: 'nb2prod:check',
    label: 'nb2prod: Check Notebook for Hidden State',
    caption: 'List what makes this notebook unsafe to run top to bottom'
  },
  convert: {
    id: 'nb2prod:convert',
    label: 'nb2prod: Convert Notebook to a Package',
    caption: 'Write a tested Python package from this notebook and verify it'
  },
  verify: {
    id: 'nb2prod:verify',
    label: 'nb2prod: Verify the Converted Package',
    caption: 'Run notebook and package side by side and compare every value'
  }
};

/** JupyterLab's notebook undo/redo commands (Edit menu, Ctrl+Z, Z in command mode). */
const UNDO_COMMANDS = new Set([
  'notebook:undo',
  'notebook:redo',
  'notebook:undo-cell-action',
  'notebook:redo-cell-action'
]);

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'nb2prod-lab:plugin',
  description: 'Convert a notebook to a tested production package with nb2prod.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null
  ) => {
    const controller = new Controller(panel => app.shell.activateById(panel.id));
    const sidePanel = new Nb2prodPanel({
      controller,
      tracker,
      open: path => void app.commands.execute('docmanager:open', { path })
    });
    sidePanel.title.icon = icon;
    sidePanel.title.caption = 'nb2prod';
    app.shell.add(sidePanel, 'right', { rank: 900 });

    const run = (action: Action, panel: NotebookPanel | null): Promise<void> => {
      if (!panel) {
        return Promise.resolve();
      }
      // Send the request first: it runs while the sidebar opens and the notebook re-lays out.
      const done = controller[action](panel);
      app.shell.activateById(sidePanel.id);
      return done;
    };

    for (const action of Object.keys(COMMANDS) as Action[]) {
      const { id, label, caption } = COMMANDS[action];
      app.commands.addCommand(id, {
        label,
        caption,
        isEnabled: () => tracker.currentWidget !== null,
        execute: () => run(action, tracker.currentWidget)
      });
      palette?.addItem({ command: id, category: 'nb2prod' });
    }

    // An undo or redo can take back a role comment: redraw the strips' menus from the plan.
    // (Tag menus follow their tags by themselves, see Controller.)
    app.commands.commandExecuted.connect((_, { id }) => {
      const panel = tracker.currentWidget;
      if (UNDO_COMMANDS.has(id) && panel && controller.state(panel)) {
        controller.remark(panel);
      }
    });

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) => {
        const button = new ToolbarButton({
          className: 'nb2prod-toolbar-button',
          icon,
          label: 'Convert to production',
          tooltip: 'nb2prod: check this notebook now, then convert it to a package',
          onClick: () => void run('check', panel)
        });
        panel.toolbar.insertItem(10, 'nb2prod', button);
        return button;
      }
    });
  }
};

export default plugin;
