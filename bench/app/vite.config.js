// Vite's modulepreload polyfill is the app's, not the SDK's: left out of what is measured.
export default { build: { modulePreload: { polyfill: false } } };
