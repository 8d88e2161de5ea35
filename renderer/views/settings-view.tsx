import { useState } from 'react';
import { binarySize } from '../../shared/binary-size.js';
import type { SettingsChange } from '../../shared/settings.js';
import { client } from '../api/client.js';
import { ChoiceField } from '../components/choice-field.js';
import { SwitchField } from '../components/switch-field.js';
import { useNotices } from '../store/notices-store.js';
import { useSettings } from '../store/settings-store.js';
import { DockerAccessPanel } from './docker-access-panel.js';
import { Notices } from './notices.js';

const PREVIEW_SIZES = [256 * 1024, 1024 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024].map((bytes) => {
  const { value, unit } = binarySize(bytes);
  return { value: bytes, label: `${value} ${unit}` };
});

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
        {settings && (
          <SwitchField
            label="Notify me when a container stops unexpectedly or a port moves"
            help="The desktop app says so when a container exits with an error it was not asked to (or runs out of memory), and when a port its image exposes was busy so it got another; a click opens the container. Browser mode shows no notifications."
            checked={settings.notifications}
            busy={busy}
            onChange={(on) => void change({ notifications: on })}
          />
        )}
        {settings && (
          <ChoiceField
            label="Largest file to open in the Files tab"
            help="A container's file up to this size opens in place; a larger one is offered as a download."
            value={settings.filePreviewBytes}
            choices={PREVIEW_SIZES}
            busy={busy}
            onChange={(bytes) => void change({ filePreviewBytes: bytes })}
          />
        )}
        <DockerAccessPanel change={change} busy={busy} />
      </div>
    </section>
  );
}
