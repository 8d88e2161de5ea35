import { useCallback, useEffect, useState } from 'react';
import type { DockerAccess } from '../../shared/docker-access.js';
import type { SettingsChange } from '../../shared/settings.js';
import { client } from '../api/client.js';
import { Button } from '../components/button.js';
import { SwitchField } from '../components/switch-field.js';
import { useRequest } from '../components/use-request.js';
import { useEngine } from '../store/engine-store.js';
import { useNotices } from '../store/notices-store.js';
import { useSettings } from '../store/settings-store.js';

const LINK_STATES: Record<DockerAccess['link']['state'], string> = {
  linked: 'Points at Berth: tools that always use this path reach Berth.',
  absent: 'Not there. Tools that ignore DOCKER_HOST and contexts look for it.',
  taken: 'Held by something else (another Docker?); Berth leaves it alone.',
  unsupported: '',
};

/** A line to copy: shown as code, with a button that puts it on the clipboard. */
function CopyLine({ label, text }: { label: string; text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () =>
    navigator.clipboard.writeText(text).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  return (
    <div className="copy-line">
      <span className="copy-line-label">{label}</span>
      <code>{text}</code>
      <Button kind="ghost" onClick={() => void copy()}>
        {copied ? 'Copied' : 'Copy'}
      </Button>
    </div>
  );
}

/**
 * Where the docker CLI, compose and Docker's libraries reach Berth: the socket and its DOCKER_HOST
 * line, Berth's docker context (optionally the current one), and on Linux the link at the well-known
 * socket path.
 */
export function DockerAccessPanel({ change, busy }: { change: (value: SettingsChange) => Promise<void>; busy: boolean }) {
  const settings = useSettings((s) => s.settings);
  const [access, setAccess] = useState<DockerAccess>();
  const report = useCallback((error: unknown) => useNotices.getState().report('Change how Docker reaches Berth', error), []);
  const refresh = useCallback(() => client.call('docker.status', {}).then(setAccess, report), [report]);
  // Asked once the engine is reached: a deep link or a reload lands here before the connection is open.
  const open = useEngine((s) => s.link === 'open');
  useEffect(() => {
    if (open) void refresh();
  }, [open, refresh]);
  const toggleLink = useCallback(() => client.call('docker.link', { linked: access?.link.state !== 'linked' }).then(setAccess), [access]);
  const [linking, link] = useRequest(toggleLink, report);
  if (!access || !settings) return null;
  return (
    <section className="settings-section" aria-labelledby="docker-access-title">
      <h2 id="docker-access-title">Docker</h2>
      <p className="field-help">The docker CLI, compose, docker-py, dockerode and your IDE talk to Berth through Docker's own API.</p>
      <CopyLine label="Socket" text={access.endpoint} />
      <CopyLine label="Point a shell at it" text={`export DOCKER_HOST=${access.dockerHost}`} />
      <SwitchField
        label={`Make "${access.context.name}" the docker CLI's current context`}
        help={`On: a plain docker command talks to Berth, as after docker context use ${access.context.name}. Off: docker --context ${access.context.name} or DOCKER_HOST reaches it; plain docker keeps its default.`}
        checked={settings.dockerContextCurrent}
        busy={busy}
        onChange={(on) => void change({ dockerContextCurrent: on }).then(refresh)}
      />
      {access.link.state !== 'unsupported' && (
        <div className="link-row">
          <div className="setting-text">
            <span>
              Link <code>{access.link.path}</code>
            </span>
            <span className="field-help">{LINK_STATES[access.link.state]}</span>
          </div>
          {access.link.state !== 'taken' && (
            <Button busy={linking} onClick={link}>
              {access.link.state === 'linked' ? 'Remove link' : 'Make link'}
            </Button>
          )}
        </div>
      )}
    </section>
  );
}
