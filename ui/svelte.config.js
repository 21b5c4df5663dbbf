// Svelte 5 in runes mode throughout; the Vite plugin reads this file.
export default { compilerOptions: { runes: true } }
