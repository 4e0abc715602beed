// Nothing Chatix-specific: a plain production build.
export default { build: { outDir: 'dist', emptyOutDir: true } };
