// The example app: a sign-in box and Tencent's call UI (see App.vue).
import { createApp } from 'vue';
import App from './App.vue';

createApp(App).mount('#app');
