import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { client } from './api/client.js';
import { startListKeys } from './components/list-keys.js';
import { startClock } from './store/clock-store.js';
import { startEngineSync } from './store/engine-sync.js';
import { startRouting } from './store/ui-store.js';
import { App } from './views/app.js';
import './styles/theme.css';
import './styles/layout.css';
import './styles/controls.css';
import './styles/table.css';
import './styles/page.css';

startEngineSync(client);
startClock();
startRouting();
startListKeys();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
