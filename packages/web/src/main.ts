import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { registerServiceWorker } from './pwa/register';
import { router } from './router';
import './styles/base.css';
import './ui/theme';

createApp(App).use(createPinia()).use(router).mount('#app');
registerServiceWorker();
