// A plain Vite production build; JSX is compiled by Vite itself.
export default { build: { outDir: 'dist', emptyOutDir: true } };
