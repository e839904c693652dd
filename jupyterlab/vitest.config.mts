// TypeScript unit tests of the pure modules (no JupyterLab, no DOM): `jlpm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['unit-tests/**/*.test.ts'], environment: 'node' }
});
