// The ES module entry re-exports the CommonJS build, so `import` and `require` share one
// instance: one addon load, and `instanceof KsmError` holds whichever way it was loaded.
export * from './index.js';
