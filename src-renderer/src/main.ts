import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { onUnauthorized } from './api/context';
import { createAppRouter } from './router';
import { useSessionStore } from './stores/session';
import './styles/main.css';
import './styles/details.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
const router = createAppRouter();
app.use(router);

// A 401 means the session is over (expired, signed out elsewhere, or the server restarted).
onUnauthorized(() => {
  const session = useSessionStore(pinia);
  if (!session.signedIn) return;
  session.expire('Your session has ended. Open a new login link from the server to continue.');
  void router.push('/login');
});

app.mount('#app');
