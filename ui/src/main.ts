import { mount } from 'svelte'
import 'uplot/dist/uPlot.min.css'
import './app.css'
// Before the first paint: a stored theme applies at once.
import './lib/theme.svelte.ts'
import App from './App.svelte'

mount(App, { target: document.getElementById('app')! })
