import { mount } from 'svelte';
import './ui/app.css';
import App from './ui/App.svelte';
import { registerServiceWorker } from './sw/register.ts';

const target = document.getElementById('app');
if (!target) throw new Error('#app missing from index.html');
// Production builds only: under `vite dev` the service worker would cache modules that change.
if (import.meta.env.PROD) registerServiceWorker(import.meta.env.BASE_URL);
export default mount(App, { target });
