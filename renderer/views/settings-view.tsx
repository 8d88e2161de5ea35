import { useState } from 'react';
import type { SettingsChange } from '../../shared/settings.js';
import { client } from '../api/client.js';
import { SwitchField } from '../components/switch-field.js';
import { useNotices } from '../store/notices-store.js';
import { useSettings } from '../store/settings-store.js';
import { DockerAccessPanel } from './docker-access-panel.js';
import { Notices } from './notices.js';

/** The app's settings: each change goes to the engine at once, which keeps it in its home. */
export function SettingsView() {
  const settings = useSettings((s) => s.settings);
  const [busy, setBusy] = useState(false);
  const change = (value: SettingsChange) => {
    setBusy(true);
    return client
      .call('settings.set', value)
      .then((next) => useSettings.getState().replace(next))
      .catch((error: unknown) => useNotices.getState().report('Change the setting', error))
      .finally(() => setBusy(false));
  };
  return (
    <section className="view" aria-labelledby="settings-title">
      <header className="view-header">
        <div className="view-title">
          <h1 id="settings-title">Settings</h1>
        </div>
      </header>
      <Notices />
      <div className="view-body settings-body">
        {settings && (
          <SwitchField
            label="Keep containers running when Berth quits"
            help="Off: quitting stops running containers gracefully and frees their ports; those set to restart always come back when Berth starts. On: they keep running, and Berth takes them back with the same ports when it starts."
            checked={settings.keepRunningOnQuit}
            busy={busy}
            onChange={(on) => void change({ keepRunningOnQuit: on })}
          />
        )}
        <DockerAccessPanel change={change} busy={busy} />
      </div>
    </section>
  );
}
