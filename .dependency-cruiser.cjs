/**
 * The import rules `npm test` checks (`npm run check:imports`) over src/ and workers/. Type-only imports count:
 * a cycle through types still ties the modules together.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only ones included: a module must not, through any chain, import itself.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.(test|spec)\\.ts$' },
  },
};
