// TypeScript unit tests of the pure modules (no JupyterLab widgets, no DOM): `jlpm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['unit-tests/**/*.test.ts'],
    environment: 'node',
    // @jupyter/ydoc's createCell reads its Yjs types before they join the document, and Yjs
    // warns each time (JupyterLab's console shows the same); nothing the tests do or check.
    onConsoleLog: log => !log.includes('Invalid access: Add Yjs type to a document')
  }
});
